import NIOCore
import QUICCore
import QUICWire
import Testing
import ZTNASimulation

@Suite("Streams and datagrams over QUICPair")
struct TransferTests {
    @Test func smallStreamArrivesIntact() throws {
        var pair = try QUICPair()
        #expect(try pair.establish())
        let data = QUICPair.pattern(10_000)
        let received = pair.transferClientToServer(data)
        let intact = received == data
        #expect(intact)
    }

    @Test func tenMegabytesOverFivePercentLossAreByteExact() throws {
        var pair = try QUICPair(latency: .milliseconds(10), seed: 42)
        #expect(try pair.establish())
        pair.toServer.lossRate = 0.05
        pair.toClient.lossRate = 0.05
        let data = QUICPair.pattern(10 * 1024 * 1024)
        let received = pair.transferClientToServer(data)
        #expect(received?.count == data.count)
        let intact = received == data
        #expect(intact)
        #expect((pair.clientConnection?.statistics.packetsLost ?? 0) > 0)
    }

    @Test func datagramsAreDeliveredAndCountedUnderLoss() throws {
        var pair = try QUICPair(latency: .milliseconds(5), seed: 3)
        #expect(try pair.establish())
        let maximum = try #require(pair.clientConnection?.maxDatagramPayload)
        #expect(maximum > 1000)
        pair.toServer.lossRate = 0.1
        for index in 0..<200 {
            var payload = QUICPair.pattern(500, seed: UInt8(index % 251))
            payload[0] = UInt8(index >> 8); payload[1] = UInt8(index & 0xff)
            pair.withClient { connection, _ in try? connection.sendDatagram(payload) }
            pair.advance(to: pair.now + .milliseconds(1))
        }
        pair.advance(to: pair.now + .milliseconds(100))
        let received = pair.serverEvents.compactMap { event -> [UInt8]? in
            if case .datagram(let bytes) = event { return bytes } else { return nil }
        }
        let sent = pair.clientConnection?.statistics.datagramsSent ?? 0
        #expect(sent == 200)
        // With 10 % loss and no retransmission, between 150 and 199 of 200 arrive (seeded, reproducible).
        #expect(received.count < 200)
        #expect(received.count > 150)
        #expect(pair.serverConnection?.statistics.datagramsReceived == received.count)
        // Every delivered datagram is one that was sent, unmodified.
        for bytes in received {
            let index = Int(bytes[0]) << 8 | Int(bytes[1])
            var expected = QUICPair.pattern(500, seed: UInt8(index % 251))
            expected[0] = bytes[0]; expected[1] = bytes[1]
            #expect(bytes == expected)
        }
    }
}

@Suite("Datagram echo bursts over QUICPair")
struct DatagramEchoTests {
    /// A burst larger than the congestion window is queued, paced and delivered in full on a lossless link;
    /// the echo comes back in full too.
    @Test func burstBeyondTheCongestionWindowIsEchoedInFull() throws {
        var pair = try QUICPair(latency: .milliseconds(5), seed: 9)
        #expect(try pair.establish())
        for index in 0..<150 {
            var payload = QUICPair.pattern(700, seed: UInt8(index % 251))
            payload[0] = UInt8(index)
            pair.withClient { connection, _ in try? connection.sendDatagram(payload) }
        }
        var echoed = 0
        var seen = 0
        let done = pair.drive(until: { pair in
            let received = pair.serverEvents.compactMap { event -> [UInt8]? in
                if case .datagram(let bytes) = event { return bytes } else { return nil }
            }
            for bytes in received.dropFirst(seen) {
                pair.withServer { connection, _ in try? connection.sendDatagram(bytes) }
            }
            seen = received.count
            echoed = pair.clientEvents.filter { if case .datagram = $0 { return true } else { return false } }.count
            return echoed == 150
        }, maxTime: .seconds(10))
        #expect(done)
        #expect(seen == 150)
        #expect(echoed == 150)
        #expect(pair.clientConnection?.statistics.datagramsDropped == 0)
        #expect(pair.serverConnection?.statistics.datagramsDropped == 0)
    }
}
