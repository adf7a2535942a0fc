import Testing
@testable import ZTNARuntime

@Suite("Probe RTT percentiles")
struct ProbeRTTSummaryTests {
    @Test func nearestRankOnAHundredSamples() throws {
        let samples = (1...100).reversed().map { Duration.milliseconds($0) }   // order must not matter
        let summary = try #require(ProbeRTTSummary(samples: samples))
        #expect(summary.samples == 100)
        #expect(summary.minimum == 1)
        #expect(summary.median == 50)
        #expect(summary.p95 == 95)
        #expect(summary.p99 == 99)
        #expect(summary.maximum == 100)
    }

    @Test func withTenSamplesTheHighPercentilesAreTheLargest() throws {
        let summary = try #require(ProbeRTTSummary(samples: (1...10).map { Duration.microseconds($0 * 100) }))
        #expect(summary.median == 0.5)
        #expect(summary.p95 == 1.0)
        #expect(summary.p99 == 1.0)
    }

    @Test func oneSampleIsEveryStatistic() throws {
        let summary = try #require(ProbeRTTSummary(samples: [.nanoseconds(1_500)]))
        #expect([summary.minimum, summary.median, summary.p95, summary.p99, summary.maximum].allSatisfy { $0 == 0.0015 })
    }

    @Test func noSamplesNoSummary() {
        #expect(ProbeRTTSummary(samples: []) == nil)
    }

    @Test(arguments: [(0, 1), (1, 1), (20, 1), (21, 2), (50, 3), (99, 5), (100, 5), (150, 5), (-5, 1)])
    func percentileRanks(_ percent: Int, _ expected: Int) {
        #expect(ProbeRTTSummary.percentile(percent, ofSorted: [1, 2, 3, 4, 5]) == expected)
    }

    @Test func millisecondsKeepNanoseconds() {
        #expect(ProbeRTTSummary.milliseconds(.seconds(2) + .nanoseconds(1)) == 2000.000001)
    }
}
