import IPPacket
import Testing
@testable import ZTNARuntime

@Suite("Probe collector", .timeLimit(.minutes(1)))
struct ProbeCollectorTests {
    static func collector() -> ProbeCollector {
        ProbeCollector(matcher: ProbeReplyMatcherTests.matcher())
    }

    /// The wait ends when the last reply arrives, long before its (10-minute) timeout: were the reply not to wake
    /// it, the suite's time limit would fail the test.
    @Test func theLastReplyEndsTheWait() async {
        let collector = Self.collector()
        collector.recordSent(sequence: 0, size: 32)
        collector.recordSent(sequence: 1, size: 32)
        let waiting = Task { await collector.waitForReplies(timeout: .seconds(600)) }
        #expect(collector.offer(ProbeReplyMatcherTests.reply(0)))
        #expect(collector.offer(ProbeReplyMatcherTests.reply(1)))
        await waiting.value
        let matcher = collector.finish()
        #expect(matcher.awaiting == 0 && matcher.outcome(of: 0..<2).isClean)
    }

    @Test func theWaitEndsAtItsTimeoutWhenRepliesAreMissing() async {
        let collector = Self.collector()
        collector.recordSent(sequence: 0, size: 32)
        await collector.waitForReplies(timeout: .milliseconds(20))
        #expect(collector.finish().outcome(of: 0..<1).missing == [0])
    }

    /// A timeout that passes before the wait has registered still ends it.
    @Test func aZeroTimeoutNeverHangs() async {
        let collector = Self.collector()
        collector.recordSent(sequence: 0, size: 32)
        for _ in 0..<20 { await collector.waitForReplies(timeout: .zero) }
        #expect(collector.finish().awaiting == 1)
    }

    @Test func foreignPacketsAreNotTakenAndNothingIsTakenAfterFinishing() {
        let collector = Self.collector()
        collector.recordSent(sequence: 0, size: 32)
        #expect(!collector.offer(ProbeReplyMatcherTests.reply(0, sourcePort: 8)))
        #expect(!collector.offer([1, 2, 3]))
        _ = collector.finish()
        #expect(!collector.offer(ProbeReplyMatcherTests.reply(0)))
        #expect(collector.finish().outcome(of: 0..<1).missing == [0])
    }

    @Test func cancellingTheLastOutstandingSendEndsTheWait() async {
        let collector = Self.collector()
        collector.recordSent(sequence: 0, size: 32)
        let waiting = Task { await collector.waitForReplies(timeout: .seconds(600)) }
        collector.recordSent(sequence: 1, size: 32)
        #expect(collector.offer(ProbeReplyMatcherTests.reply(0)))
        collector.cancelSent(sequence: 1)
        await waiting.value
        #expect(collector.finish().outcome(of: 0..<2).sent == 1)
    }
}
