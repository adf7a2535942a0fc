import NIOCore
import QUICCore
import QUICNIO
import Testing

@Suite("QUICNIOConnection DATAGRAMs")
struct QUICNIOConnectionTests {
    @Test func hundredDatagramsAreEchoed() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            let maximum = try #require(await connection.maxDatagramPayload)
            #expect(maximum >= 1000)
            let sent = (0..<100).map { testBytes(count: 200 + $0, seed: $0) }
            async let echoed: Set<[UInt8]> = {
                var received = Set<[UInt8]>()
                for await datagram in connection.datagrams {
                    received.insert(datagram)
                    if received.count == 100 { break }
                }
                return received
            }()
            for datagram in sent { try await connection.send(datagram: datagram) }
            // Loopback loses nothing: every datagram comes back, unchanged.
            #expect(await echoed == Set(sent))
            let statistics = await connection.statistics
            #expect(statistics.datagramsSent == 100)
            #expect(statistics.datagramsReceived == 100)
            await connection.close()
        }
        await server.close()
    }

    @Test func oversizedDatagramIsRefused() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            let maximum = try #require(await connection.maxDatagramPayload)
            do throws(QUICDatagramError) {
                try await connection.send(datagram: [UInt8](repeating: 1, count: maximum + 1))
                Issue.record("a datagram above the maximum was accepted")
            } catch {
                #expect(error == .tooLarge(maximum: maximum))
            }
            await connection.close()
            do throws(QUICDatagramError) {
                try await connection.send(datagram: [1])
                Issue.record("a datagram was accepted after close")
            } catch {
                #expect(error == .notConnected)
            }
        }
        await server.close()
    }

    /// More datagrams than the send queue holds: senders wait for room instead of losing datagrams.
    @Test func sendersWaitForQueueSpace() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        let configuration = try setup.clientConfiguration { $0.datagramSendQueueLimit = 4 }
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            async let echoedCount: Int = {
                var count = 0
                for await _ in connection.datagrams {
                    count += 1
                    if count == 300 { break }
                }
                return count
            }()
            for sequence in 0..<300 { try await connection.send(datagram: testBytes(count: 1_000, seed: sequence)) }
            #expect(await echoedCount == 300)
            let statistics = await connection.statistics
            #expect(statistics.datagramsSent == 300)
            #expect(statistics.datagramsDropped == 0)
            await connection.close()
        }
        await server.close()
    }
}
