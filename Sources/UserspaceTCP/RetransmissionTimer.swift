import NIOCore

// MARK: - RTO computation (RFC 6298)

/// SRTT/RTTVAR estimator with exponential backoff, RFC 6298 §2 and §5.
struct RetransmissionTimer: Sendable {
    let minimum: TimeAmount
    let maximum: TimeAmount
    private(set) var smoothedRTT: TimeAmount?
    private(set) var rttVariance: TimeAmount = .zero
    /// The RTO before backoff.
    private(set) var baseRTO: TimeAmount
    /// Consecutive expirations (each doubles the RTO, RFC 6298 §5.5).
    private(set) var backoff = 0

    init(initial: TimeAmount, minimum: TimeAmount, maximum: TimeAmount) {
        self.minimum = minimum
        self.maximum = maximum
        baseRTO = initial
    }

    /// The current RTO including backoff, clamped to `maximum`.
    var rto: TimeAmount {
        var value = baseRTO.nanoseconds
        for _ in 0..<min(backoff, 20) where value < maximum.nanoseconds { value *= 2 }
        return .nanoseconds(min(value, maximum.nanoseconds))
    }

    /// RFC 6298 §2.2/§2.3 with α = 1/8, β = 1/4, K = 4 and a 1 ms clock granularity.
    mutating func addSample(_ rtt: TimeAmount) {
        let r = max(rtt.nanoseconds, 0)
        if let srtt = smoothedRTT?.nanoseconds {
            let delta = abs(srtt - r)
            rttVariance = .nanoseconds((3 * rttVariance.nanoseconds + delta) / 4)
            smoothedRTT = .nanoseconds((7 * srtt + r) / 8)
        } else {
            smoothedRTT = .nanoseconds(r)
            rttVariance = .nanoseconds(r / 2)
        }
        let srtt = smoothedRTT?.nanoseconds ?? r
        let granularity = TimeAmount.milliseconds(1).nanoseconds
        let value = srtt + max(granularity, 4 * rttVariance.nanoseconds)
        baseRTO = .nanoseconds(min(max(value, minimum.nanoseconds), maximum.nanoseconds))
    }

    /// RFC 6298 §5.5: back off after an expiration.
    mutating func didExpire() { backoff += 1 }

    /// New data was acknowledged: the backoff ends (RFC 6298 §5.7 keeps the backed-off value only until
    /// a new sample arrives; we drop it at the first new ACK, as Linux does).
    mutating func resetBackoff() { backoff = 0 }
}
