import NIOCore
import QUICCore
import Testing
import ZTNASimulation

@Suite("Loss recovery during the handshake (RFC 9002)")
struct RecoveryTests {
    /// RFC 9002 §6.2.1 with the initial RTT of 333 ms (§6.2.2): PTO = 333 + 4 × 166.5 = 999 ms.
    @Test func lostInitialIsRetransmittedAtExactlyOnePTO() throws {
        var pair = try QUICPair(latency: .milliseconds(10))
        let start = pair.now
        // The client's first flight (the post-quantum ClientHello needs two datagrams) never arrives.
        pair.filter = { side, _, now in !(side == .client && now == start) }
        try pair.connect()
        let firstFlight = pair.sentSizes[.client]?.count ?? 0
        #expect(firstFlight >= 1)
        #expect(pair.sentSizes[.client]?.allSatisfy { $0 >= 1200 } == true)   // RFC 9000 §14.1 padding
        #expect(pair.client.pollTimeout() == start + .milliseconds(999))
        pair.advance(to: start + .milliseconds(998))
        #expect(pair.sentSizes[.client]?.count == firstFlight)
        pair.advance(to: start + .milliseconds(999))
        #expect((pair.sentSizes[.client]?.count ?? 0) > firstFlight)
        let established = pair.drive(until: { $0.bothEstablished }, maxTime: .seconds(10))
        #expect(established)
    }

    /// The second PTO is twice as long (exponential backoff, RFC 9002 §6.2.1).
    @Test func probeTimeoutBacksOffExponentially() throws {
        var pair = try QUICPair(latency: .milliseconds(10))
        let start = pair.now
        pair.filter = { side, _, now in !(side == .client && now < start + .seconds(1)) }
        try pair.connect()
        pair.advance(to: start + .milliseconds(999))
        #expect(pair.client.pollTimeout() == start + .milliseconds(999 + 1998))
        let established = pair.drive(until: { $0.bothEstablished }, maxTime: .seconds(10))
        #expect(established)
    }

    @Test func lostServerFlightIsRepaired() throws {
        var pair = try QUICPair(latency: .milliseconds(10))
        pair.toClient.dropNext = 3                     // the server's whole first flight
        try pair.connect()
        let established = pair.drive(until: { $0.bothEstablished }, maxTime: .seconds(10))
        #expect(established)
    }

    @Test func lostClientFinishedIsRepaired() throws {
        var pair = try QUICPair(latency: .milliseconds(10))
        var clientDatagrams = 0
        pair.filter = { side, _, _ in
            guard side == .client else { return true }
            clientDatagrams += 1
            return clientDatagrams != 2                // the client's second flight (Handshake Finished)
        }
        try pair.connect()
        let established = pair.drive(until: { $0.bothEstablished }, maxTime: .seconds(10))
        #expect(established)
        #expect(clientDatagrams >= 3)
    }

    /// RFC 9000 §8.1: before the client's address is validated the server sends at most 3× what it received.
    @Test func serverHonoursTheAmplificationLimit() throws {
        var pair = try QUICPair(latency: .milliseconds(10))
        var clientDatagrams = 0
        var receivedByServer = 0
        pair.filter = { side, payload, _ in
            guard side == .client else { return true }
            clientDatagrams += 1
            if clientDatagrams == 1 { receivedByServer += payload.count; return true }
            return false                               // nothing after the first Initial reaches the server
        }
        try pair.connect()
        pair.advance(to: pair.now + .seconds(20))
        let sentByServer = pair.sentSizes[.server]?.reduce(0, +) ?? 0
        #expect(receivedByServer >= 1200)
        #expect(sentByServer > 0)
        #expect(sentByServer <= 3 * receivedByServer)
    }
}
