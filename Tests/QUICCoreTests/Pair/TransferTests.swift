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

    /// A maximum-size DATAGRAM queued while an ACK is pending but not yet due goes out at once, in a packet of
    /// its own: the ACK waits for a later packet instead of holding the datagram back until it falls due
    /// (which stalled relay connections whose peer had nothing else to send).
    @Test func maximumSizeDatagramIsNotHeldBackByAPendingAck() throws {
        var pair = try QUICPair(latency: .milliseconds(5), seed: 7)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(100))   // every handshake ACK exchanged
        let maximum = try #require(pair.clientConnection?.maxDatagramPayload)
        pair.withServer { connection, _ in try? connection.sendDatagram([1, 2, 3]) }
        pair.advance(to: pair.now + .milliseconds(6))     // the client holds an ACK for it, due after max_ack_delay
        let payload = QUICPair.pattern(maximum, seed: 9)
        pair.withClient { connection, _ in try? connection.sendDatagram(payload) }
        pair.advance(to: pair.now + .milliseconds(6))     // one one-way trip: sent at once, not 25 ms later
        let received = pair.serverEvents.contains { event in
            if case .datagram(let bytes) = event { return bytes == payload } else { return false }
        }
        #expect(received)
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

@Suite("Reordering and MTU over QUICPair")
struct ReorderingTests {
    /// 20 % of datagrams arrive 15 ms late (behind later ones) in both directions: the stream still arrives
    /// byte-exact, and reordering alone is not mistaken for loss more than the packet threshold allows.
    @Test func streamSurvivesHeavyReordering() throws {
        var pair = try QUICPair(latency: .milliseconds(10), seed: 11)
        #expect(try pair.establish())
        for link in [\QUICPair.toServer, \QUICPair.toClient] {
            pair[keyPath: link].reorderRate = 0.2
            pair[keyPath: link].reorderDelay = .milliseconds(15)
        }
        let data = QUICPair.pattern(2 * 1024 * 1024, seed: 3)
        let received = pair.transferClientToServer(data)
        let intact = received == data
        #expect(intact)
    }

    /// A path that drops anything above 1200 bytes: our default packets never exceed it (RFC 9000 §14),
    /// so the handshake and a transfer complete without a single MTU drop.
    @Test func defaultPacketsFitA1200BytePath() throws {
        var pair = try QUICPair(latency: .milliseconds(5))
        pair.toServer.mtu = 1200
        pair.toClient.mtu = 1200
        #expect(try pair.establish())
        let data = QUICPair.pattern(300_000)
        let intact = pair.transferClientToServer(data) == data
        #expect(intact)
        #expect(pair.toServer.dropped == 0)
        #expect(pair.toClient.dropped == 0)
        #expect(pair.sentSizes.values.joined().allSatisfy { $0 <= 1200 })
    }

    /// A larger configured packet size on a path that cannot carry it fails visibly (no PMTU discovery yet):
    /// the link drops the oversized Initials and the client gives up at the handshake timeout.
    @Test func oversizedPacketsOnASmallPathAreDroppedByTheLink() throws {
        var pair = try QUICPair(latency: .milliseconds(5), configureClient: {
            $0.maxUDPPayloadSize = 1452
            $0.maxIdleTimeout = .seconds(3)
        })
        pair.toServer.mtu = 1280
        try pair.connect()
        pair.advance(to: pair.now + .seconds(10))
        #expect(pair.toServer.dropped > 0)
        #expect(pair.clientEvents.last == .closed(.handshakeTimeout))
    }
}
