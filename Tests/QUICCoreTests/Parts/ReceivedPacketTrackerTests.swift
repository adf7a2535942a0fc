import NIOCore
@testable import QUICCore
import Testing

@Suite("Received packet tracker: duplicates and ACK ranges (RFC 9000 §12.3, §13.2)")
struct ReceivedPacketTrackerTests {
    static let now = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func record(_ tracker: inout ReceivedPacketTracker, _ numbers: some Sequence<UInt64>) {
        for number in numbers {
            tracker.record(packetNumber: number, ackEliciting: true, now: now, maxAckDelay: .milliseconds(25),
                           immediate: false)
        }
    }

    /// A connection that moved to a faster path receives the packets still in flight on the slower one after
    /// newer ones, possibly after the peer acknowledged our ACK of the newer ones: they are new, not duplicates,
    /// and the next ACK reports them.
    @Test func aLatePacketBelowAnAcknowledgedAckIsNew() {
        var tracker = ReceivedPacketTracker()
        Self.record(&tracker, 0...9)
        Self.record(&tracker, 12...20)      // 10 and 11 are on the slow path
        tracker.onAckAcknowledged(largest: 20)
        #expect(!tracker.isDuplicate(10) && !tracker.isDuplicate(11))
        #expect(tracker.isDuplicate(5) && tracker.isDuplicate(15) && tracker.isDuplicate(20))
        Self.record(&tracker, [10])
        #expect(tracker.isDuplicate(10))
        let ranges = tracker.makeAck(now: Self.now, ackDelayExponent: 3)?.ranges ?? []
        #expect(ranges == [20...20, 10...10])
    }

    /// Memory stays bounded: beyond 64 gaps the oldest numbers count as duplicates (RFC 9000 §12.3 floor).
    @Test func theOldestGapsAreForgottenBeyondTheBound() {
        var tracker = ReceivedPacketTracker()
        Self.record(&tracker, stride(from: 0, to: 200, by: 2))   // 100 ranges with gaps
        #expect(tracker.isDuplicate(1))                          // below the floor now
        #expect(!tracker.isDuplicate(199))
        #expect((tracker.makeAck(now: Self.now, ackDelayExponent: 3)?.ranges.count ?? 0) == ReceivedPacketTracker.maxRanges)
    }
}
