import Testing
@testable import ZTNARuntime

/// DESIGN.md §8: 1 s doubling to 30 s with jitter, measured from handshake completion.
@Suite struct ReconnectBackoffTests {
    private struct Fixed: RandomNumberGenerator {
        var value: UInt64
        mutating func next() -> UInt64 { value }
    }

    @Test func failedAttemptsDoubleUpToTheCap() {
        var backoff = ReconnectBackoff()
        backoff.jitter = 0
        var random = Fixed(value: 0x8000_0000_0000_0000)
        let delays = (0..<7).map { _ in backoff.nextDelay(connectedFor: nil, using: &random) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
    }

    @Test func timeConnectedCountsTowardTheWaitAndALongConnectionStartsOver() {
        var backoff = ReconnectBackoff()
        backoff.jitter = 0
        var random = Fixed(value: 0x8000_0000_0000_0000)
        _ = backoff.nextDelay(connectedFor: nil, using: &random)                          // 1 s
        #expect(backoff.nextDelay(connectedFor: .milliseconds(500), using: &random) == .milliseconds(1_500))  // 2 s − 0.5 s
        #expect(backoff.nextDelay(connectedFor: .seconds(10), using: &random) == .zero)   // 4 s, already waited 10
        #expect(backoff.nextDelay(connectedFor: .seconds(45), using: &random) == .zero)   // reset to 1 s, waited 45
        #expect(backoff.nextDelay(connectedFor: nil, using: &random) == .seconds(2))
    }

    @Test func jitterStaysWithinTwentyPercent() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var backoff = ReconnectBackoff()
            let delay = backoff.nextDelay(connectedFor: nil, using: &random)
            #expect(delay >= .milliseconds(800) && delay <= .milliseconds(1_200))
        }
    }
}
