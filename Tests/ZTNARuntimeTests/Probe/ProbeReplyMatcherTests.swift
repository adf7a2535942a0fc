import IPPacket
import Testing
@testable import ZTNARuntime

@Suite("Probe reply matching")
struct ProbeReplyMatcherTests {
    static let vip = IPAddress.v4(IPv4Address(10, 100, 0, 1))
    static let tunnel = IPAddress.v4(IPv4Address(10, 100, 0, 254))
    static let payload = ProbePayload(pattern: .sequence)
    let t0 = ContinuousClock.now

    static func matcher(capacity: Int = 10, timed: Range<UInt64> = 0..<5) -> ProbeReplyMatcher {
        ProbeReplyMatcher(virtualIP: vip, servicePort: 7, tunnelAddress: tunnel, sourcePort: 50_000, payload: payload,
                          capacity: capacity, timedSequences: timed)
    }

    /// A reply as the connector builds it: from VIP:7 to the tunnel address and the probe's port.
    static func reply(_ sequence: UInt64, size: Int = 32, from source: IPAddress = vip, to destination: IPAddress = tunnel,
                      sourcePort: UInt16 = 7, destinationPort: UInt16 = 50_000, body: [UInt8]? = nil) -> [UInt8] {
        let pair = IPAddressPair(source: source, destination: destination)!
        return IPPacketBuilder.udp(pair, sourcePort: sourcePort, destinationPort: destinationPort,
                                   payload: body ?? payload.make(sequence: sequence, size: size))
    }

    // MARK: - Replies

    @Test func anIntactReplyIsMatchedAndTimed() {
        var matcher = Self.matcher()
        matcher.recordSent(sequence: 3, size: 32, at: t0)
        #expect(matcher.awaiting == 1)
        #expect(matcher.handle(Self.reply(3), at: t0 + .milliseconds(5)) == .reply(sequence: 3))
        #expect(matcher.awaiting == 0)
        #expect(matcher.roundTrips == [.milliseconds(5)])
        #expect(matcher.wasEchoed(3))
        let outcome = matcher.outcome(of: 0..<10)
        #expect(outcome.sent == 1 && outcome.answered == 1 && outcome.intact == 1 && outcome.isClean)
    }

    @Test func onlyTimedSequencesGiveRoundTrips() {
        var matcher = Self.matcher(timed: 0..<2)
        for sequence in UInt64(0)..<4 { matcher.recordSent(sequence: sequence, size: 32, at: t0) }
        for sequence in UInt64(0)..<4 { matcher.handle(Self.reply(sequence), at: t0 + .milliseconds(Int64(sequence + 1))) }
        #expect(matcher.roundTrips == [.milliseconds(1), .milliseconds(2)])
        #expect(matcher.outcome(of: 0..<4).isClean)
    }

    @Test func aSecondReplyIsADuplicate() {
        var matcher = Self.matcher()
        matcher.recordSent(sequence: 1, size: 32, at: t0)
        matcher.handle(Self.reply(1), at: t0)
        #expect(matcher.handle(Self.reply(1), at: t0) == .duplicate(sequence: 1))
        #expect(matcher.duplicateReplies == 1)
        #expect(matcher.roundTrips.count == 1)
        let outcome = matcher.outcome(of: 0..<10)
        #expect(outcome.duplicated == [1])
        #expect(!outcome.isClean)
    }

    @Test func changedBytesOrSizeAreCorrupted() {
        var matcher = Self.matcher()
        matcher.recordSent(sequence: 2, size: 32, at: t0)
        matcher.recordSent(sequence: 4, size: 32, at: t0)
        var body = Self.payload.make(sequence: 2, size: 32)
        body[20] ^= 0xFF
        #expect(matcher.handle(Self.reply(2, body: body), at: t0) == .corrupted(sequence: 2))
        #expect(matcher.handle(Self.reply(4, size: 31), at: t0) == .corrupted(sequence: 4))
        #expect(matcher.corruptedReplies == 2)
        // Answered (not lost), but not intact.
        let outcome = matcher.outcome(of: 0..<10)
        #expect(outcome.answered == 2 && outcome.intact == 0 && outcome.corrupted == [2, 4] && outcome.missing.isEmpty)
        #expect(matcher.awaiting == 0)
        #expect(matcher.roundTrips.isEmpty)
    }

    @Test func aCorruptedReplyThenAnIntactOneCountsTwoReplies() {
        var matcher = Self.matcher()
        matcher.recordSent(sequence: 0, size: 32, at: t0)
        matcher.handle(Self.reply(0, size: 33), at: t0)
        #expect(matcher.handle(Self.reply(0), at: t0) == .reply(sequence: 0))
        let outcome = matcher.outcome(of: 0..<1)
        #expect(outcome.duplicated == [0] && outcome.corrupted == [0] && outcome.intact == 1)
    }

    @Test func aReplyTooShortForASequenceIsCorruptedWithoutOne() {
        var matcher = Self.matcher()
        matcher.recordSent(sequence: 0, size: 32, at: t0)
        #expect(matcher.handle(Self.reply(0, body: [0, 0, 0]), at: t0) == .corrupted(sequence: nil))
        #expect(matcher.corruptedReplies == 1)
        #expect(matcher.awaiting == 1)
    }

    @Test func repliesToPacketsNeverSentAreUnexpected() {
        var matcher = Self.matcher(capacity: 4)
        matcher.recordSent(sequence: 0, size: 32, at: t0)
        #expect(matcher.handle(Self.reply(1), at: t0) == .unexpected(sequence: 1))       // in range, not sent
        #expect(matcher.handle(Self.reply(1_000), at: t0) == .unexpected(sequence: 1_000)) // beyond the capacity
        #expect(matcher.handle(Self.reply(.max), at: t0) == .unexpected(sequence: .max))
        #expect(matcher.unexpectedReplies == 3)
        #expect(matcher.awaiting == 1)
    }

    @Test func aCancelledSendIsNotExpected() {
        var matcher = Self.matcher()
        matcher.recordSent(sequence: 5, size: 32, at: t0)
        matcher.cancelSent(sequence: 5)
        #expect(matcher.awaiting == 0)
        #expect(!matcher.wasSent(5))
        #expect(matcher.outcome(of: 0..<10).sent == 0)
        #expect(matcher.handle(Self.reply(5), at: t0) == .unexpected(sequence: 5))
    }

    @Test func missingRepliesAreListed() {
        var matcher = Self.matcher()
        for sequence in UInt64(0)..<6 { matcher.recordSent(sequence: sequence, size: 32, at: t0) }
        for sequence in [UInt64(0), 2, 5] { matcher.handle(Self.reply(sequence), at: t0) }
        let outcome = matcher.outcome(of: 0..<10)
        #expect(outcome.missing == [1, 3, 4])
        #expect(outcome.lost == 3 && outcome.lossPercent == 50)
        #expect(matcher.outcome(of: 3..<5).missing == [3, 4])
        #expect(matcher.outcome(of: 8..<UInt64.max).sent == 0)
    }

    // MARK: - Foreign packets

    @Test func foreignPacketsAreIgnoredAndCountedByReason() {
        var matcher = Self.matcher()
        matcher.recordSent(sequence: 0, size: 32, at: t0)
        let other = IPAddress.v4(IPv4Address(10, 100, 0, 9))
        let cases: [([UInt8], ProbeReplyMatcher.ForeignReason)] = [
            (Self.reply(0, from: other), .wrongAddress),
            (Self.reply(0, to: other), .wrongAddress),
            (Self.reply(0, sourcePort: 8), .wrongPort),
            (Self.reply(0, destinationPort: 50_001), .wrongPort),
            (IPPacketBuilder.icmpv4(source: IPv4Address(10, 100, 0, 1), destination: IPv4Address(10, 100, 0, 254),
                                    message: .echoReply(identifier: 1, sequence: 0), payload: [1, 2, 3]), .notUDP),
            ([0x45, 0x00, 0x01], .malformed),
            ([], .malformed),
        ]
        for (packet, reason) in cases {
            let disposition = matcher.handle(packet, at: t0)
            #expect(disposition == .foreign(reason))
            #expect(!disposition.isOurs)
        }
        var badChecksum = Self.reply(0)
        badChecksum[badChecksum.count - 1] ^= 0x55
        #expect(matcher.handle(badChecksum, at: t0) == .foreign(.malformed))
        #expect(matcher.foreign == [.wrongAddress: 2, .wrongPort: 2, .notUDP: 1, .malformed: 3])
        // None of them answered packet 0.
        #expect(matcher.awaiting == 1)
        #expect(matcher.outcome(of: 0..<1).missing == [0])
    }

    @Test func ipv6RepliesMatchToo() {
        let vip = IPAddress.v6(IPv6Address("fd00::1")!)
        let tunnel = IPAddress.v6(IPv6Address("fd00::fffe")!)
        var matcher = ProbeReplyMatcher(virtualIP: vip, servicePort: 7, tunnelAddress: tunnel, sourcePort: 50_000,
                                        payload: Self.payload, capacity: 1, timedSequences: 0..<1)
        matcher.recordSent(sequence: 0, size: 32, at: t0)
        #expect(matcher.handle(Self.reply(0, from: vip, to: tunnel), at: t0) == .reply(sequence: 0))
    }
}
