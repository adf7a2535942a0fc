import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
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

    /// A sender parked on a full send queue while the congestion window is full must not keep the event loop
    /// busy: the loop has to read the ACKs that open the window. (Servicing parked senders used to schedule
    /// another flush every time, so the loop ran flush tasks back to back, never read the socket, and the
    /// connection died of its idle timeout.) The server's loop sleeps first, so the client's window fills
    /// before any ACK arrives.
    @Test func parkedSenderLetsTheLoopReadAcknowledgements() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let received = NIOLockedValueBox(0)
        let server = try await QUICServer.bind(port: 0, configuration: try setup.serverEndpointConfiguration(),
                                               group: serverGroup)
        Task {
            for await connection in server.connections {
                for await _ in connection.datagrams { received.withLockedValue { $0 += 1 } }
            }
        }
        let configuration = try setup.clientConfiguration {
            $0.datagramSendQueueLimit = 4
            $0.maxIdleTimeout = .seconds(3)
        }
        try await withTimeout(.seconds(60)) {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration, group: clientGroup)
            serverGroup.next().execute { usleep(300_000) }
            let batch = (0..<64).map { testBytes(count: 1_000, seed: $0) }
            for _ in 0..<100 { try await connection.send(datagrams: batch) }
            let statistics = await connection.statistics
            #expect(statistics.datagramsSent + statistics.datagramsDropped == 6_400)
            await connection.close()
        }
        #expect(received.withLockedValue { $0 } > 0)
        await server.close()
        try await serverGroup.shutdownGracefully()
        try await clientGroup.shutdownGracefully()
    }
}
