/// Send→reply times of a probe run (`--measure-rtt`), in milliseconds.
///
/// Percentiles use the nearest-rank method: the p-th percentile of n sorted samples is the sample of rank
/// ⌈p·n/100⌉ (1-based). It always returns a measured value (no interpolation between two round trips that
/// never happened), and with few samples p95/p99 are simply the largest ones — honest for a 10-packet probe.
public struct ProbeRTTSummary: Sendable, Hashable, Codable {
    public let samples: Int
    public let minimum: Double
    public let median: Double
    public let p95: Double
    public let p99: Double
    public let maximum: Double

    /// The summary of `samples`; nil when there are none.
    public init?(samples: [Duration]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        self.samples = sorted.count
        minimum = Self.milliseconds(sorted[0])
        median = Self.milliseconds(Self.percentile(50, ofSorted: sorted))
        p95 = Self.milliseconds(Self.percentile(95, ofSorted: sorted))
        p99 = Self.milliseconds(Self.percentile(99, ofSorted: sorted))
        maximum = Self.milliseconds(sorted[sorted.count - 1])
    }

    /// The nearest-rank `percent`-th percentile of a non-empty ascending array (`percent` in 0...100).
    static func percentile<Value>(_ percent: Int, ofSorted sorted: [Value]) -> Value {
        let clamped = min(max(percent, 0), 100)
        let rank = (clamped * sorted.count + 99) / 100   // ⌈p·n/100⌉ in integers
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// A duration in milliseconds, to the nanosecond.
    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1_000 + Double(attoseconds / 1_000_000_000) / 1_000_000
    }
}
