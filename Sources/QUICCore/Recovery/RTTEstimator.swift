import NIOCore

/// Round-trip time estimation (RFC 9002 §5).
///
/// A plain value: the loss-recovery code feeds it RTT samples and reads the derived timers. All arithmetic
/// is in integer nanoseconds and saturates instead of trapping.
struct RTTEstimator: Sendable {
    /// RFC 9002 §6.1.2 kGranularity: the system timer granularity assumed by loss detection.
    static let granularity: TimeAmount = .milliseconds(1)

    /// The RTT assumed before any sample (RFC 9002 §6.2.2, configurable).
    let initialRTT: TimeAmount
    /// The most recent sample, not adjusted for ack delay (zero before the first sample).
    private(set) var latestRTT: TimeAmount = .zero
    private(set) var smoothedRTT: TimeAmount
    private(set) var rttVariance: TimeAmount
    /// The minimum sample over the path's lifetime, never adjusted for ack delay (zero before the first sample).
    private(set) var minRTT: TimeAmount = .zero
    private(set) var hasSample = false

    /// RFC 9002 §5.2, §6.2.2: smoothed_rtt = initial, rttvar = initial / 2 until the first sample.
    init(initialRTT: TimeAmount = .milliseconds(333)) {
        let initial = Swift.max(initialRTT, .zero)
        self.initialRTT = initial
        smoothedRTT = initial
        rttVariance = .nanoseconds(initial.nanoseconds / 2)
    }

    // MARK: - Samples

    /// Takes an RTT sample (RFC 9002 §5.3).
    ///
    /// The caller decodes the ACK frame's delay and, once the handshake is confirmed, caps it to the peer's
    /// max_ack_delay; before confirmation the peer's max_ack_delay is ignored (§5.3), so `handshakeConfirmed`
    /// only documents which of the two the caller applied — the estimator treats both the same way.
    mutating func update(latestRTT sample: TimeAmount, ackDelay: TimeAmount, handshakeConfirmed: Bool) {
        let latest = Swift.max(sample, .zero)
        let delay = Swift.max(ackDelay, .zero)
        latestRTT = latest
        guard hasSample else {
            // RFC 9002 §5.3: the first sample initializes everything.
            hasSample = true
            minRTT = latest
            smoothedRTT = latest
            rttVariance = .nanoseconds(latest.nanoseconds / 2)
            return
        }
        // §5.2: min_rtt ignores ack delay.
        minRTT = Swift.min(minRTT, latest)
        // §5.3: subtract the ack delay only if the result does not go below min_rtt. Written as a difference
        // so a huge (peer-chosen) delay cannot overflow.
        var adjusted = latest
        if latest.nanoseconds - minRTT.nanoseconds >= delay.nanoseconds {
            adjusted = .nanoseconds(latest.nanoseconds - delay.nanoseconds)
        }
        // rttvar = 3/4 rttvar + 1/4 |smoothed - adjusted|; smoothed = 7/8 smoothed + 1/8 adjusted.
        // Both terms are non-negative, so the differences cannot overflow.
        let deviation = (smoothedRTT.nanoseconds - adjusted.nanoseconds).magnitude
        let variance = rttVariance.nanoseconds
        rttVariance = .nanoseconds(variance + (Int64(deviation) - variance) / 4)
        let smoothed = smoothedRTT.nanoseconds
        smoothedRTT = .nanoseconds(smoothed + (adjusted.nanoseconds - smoothed) / 8)
    }

    /// RFC 9002 §5.2: after persistent congestion, min_rtt restarts from the newest sample, since the path
    /// may have changed.
    mutating func resetMinRTTToLatest() {
        guard hasSample else { return }
        minRTT = latestRTT
    }

    /// Back to the initial state (a new path, RFC 9000 §9.4).
    mutating func reset() {
        self = RTTEstimator(initialRTT: initialRTT)
    }

    // MARK: - Derived timers

    /// RFC 9002 §6.2.1: smoothed_rtt + max(4 * rttvar, kGranularity) (+ max_ack_delay for application data).
    func probeTimeout(maxAckDelay: TimeAmount, includeMaxAckDelay: Bool) -> TimeAmount {
        let variance = rttVariance.nanoseconds.multipliedReportingOverflow(by: 4)
        let varianceTerm = variance.overflow ? Int64.max : Swift.max(variance.partialValue, Self.granularity.nanoseconds)
        var total = Self.saturatingAdd(smoothedRTT.nanoseconds, varianceTerm)
        if includeMaxAckDelay { total = Self.saturatingAdd(total, Swift.max(maxAckDelay.nanoseconds, 0)) }
        return .nanoseconds(total)
    }

    /// RFC 9002 §6.1.2: max(kTimeThreshold * max(smoothed_rtt, latest_rtt), kGranularity), kTimeThreshold = 9/8.
    var lossDelay: TimeAmount {
        let base = Swift.max(smoothedRTT.nanoseconds, latestRTT.nanoseconds)
        let delay = Self.saturatingAdd(base, base / 8)
        return .nanoseconds(Swift.max(delay, Self.granularity.nanoseconds))
    }

    private static func saturatingAdd(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (sum, overflow) = lhs.addingReportingOverflow(rhs)
        return overflow ? Int64.max : sum
    }
}
