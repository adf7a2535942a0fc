import NIOCore

/// A token-bucket pacer (RFC 9002 §7.7).
///
/// Tokens (bytes) refill at rate = N * cwnd / smoothed_rtt with N = 1.25, so a window is spread over 80% of
/// an RTT and the sender still keeps up when the window grows. The bucket holds at least 10 datagrams, so
/// a small flow (or the start of any flow) is never paced, and at least what the rate refills in one timer
/// granularity, so a fast flow does not have to re-arm a timer for every datagram.
struct Pacer: Sendable {
    /// RFC 9002 §7.7 N = 1.25, as a fraction.
    static let rateNumerator: Int64 = 5
    static let rateDenominator: Int64 = 4
    /// Burst allowance in datagrams (the initial-window style burst of RFC 9002 §7.2).
    static let burstDatagrams = 10
    /// A timer cannot fire more precisely than this; bursts at least cover one tick of the rate.
    static let timerGranularity: TimeAmount = .milliseconds(1)

    let maxDatagramSize: Int
    /// Bytes that may be sent right now.
    private(set) var tokens: Int
    /// Bucket size in bytes.
    private(set) var capacity: Int
    /// When the tokens were last refilled (nil: never used).
    private var lastRefill: NIODeadline?
    /// The rate of the last `delay` call (window bytes per RTT): `onSent` refills at that rate.
    private var rateWindow: Int64 = 0
    private var rateRTT: Int64 = 0

    init(maxDatagramSize: Int) {
        self.maxDatagramSize = maxDatagramSize
        capacity = Self.burstDatagrams * maxDatagramSize
        tokens = capacity
    }

    // MARK: - Sending

    /// When a packet of `bytes` may be sent: nil means now.
    mutating func delay(bytes: Int, congestionWindow: Int, smoothedRTT: TimeAmount, now: NIODeadline) -> NIODeadline? {
        // Without a rate there is nothing to pace against.
        guard congestionWindow > 0, smoothedRTT.nanoseconds > 0 else { return nil }
        rateWindow = Int64(congestionWindow)
        rateRTT = smoothedRTT.nanoseconds
        capacity = Swift.max(Self.burstDatagrams * maxDatagramSize,
                             Int(clamping: refill(elapsed: Self.timerGranularity.nanoseconds)))
        refill(now: now)
        // A packet larger than the bucket goes as soon as the bucket is full.
        if tokens >= Swift.min(bytes, capacity) { return nil }
        // Time for the deficit at the current rate, rounded up so the bucket holds `bytes` at the deadline:
        // deficit * rtt * 4 / (5 * cwnd).
        let deficit = Int64(Swift.min(bytes, capacity) - tokens)
        let numerator = deficit.multipliedReportingOverflow(by: rateRTT)
        let scaled = numerator.partialValue.multipliedReportingOverflow(by: Self.rateDenominator)
        let denominator = rateWindow * Self.rateNumerator
        guard !numerator.overflow, !scaled.overflow else { return now + smoothedRTT }
        let wait = (scaled.partialValue + denominator - 1) / denominator
        return now + .nanoseconds(wait)
    }

    /// A packet of `bytes` was sent at `now`: it takes its tokens (never below zero, so an unpaced packet such
    /// as an ACK does not delay later ones by more than a refill).
    mutating func onSent(bytes: Int, now: NIODeadline) {
        refill(now: now)
        tokens = Swift.max(0, tokens - Swift.max(bytes, 0))
    }

    // MARK: - Refill

    private mutating func refill(now: NIODeadline) {
        guard let last = lastRefill, now > last else {
            if lastRefill == nil { lastRefill = now }
            tokens = Swift.min(tokens, capacity)
            return
        }
        let added = refill(elapsed: (now - last).nanoseconds)
        if added >= Int64(capacity - tokens) {
            tokens = capacity
            lastRefill = now
        } else if added > 0 {
            tokens += Int(added)
            lastRefill = now
        }
        // added == 0: keep `lastRefill`, so the elapsed time accumulates until it is worth a byte.
    }

    /// Bytes the current rate refills in `elapsed` nanoseconds: elapsed * cwnd * 5 / (4 * rtt), saturating.
    private func refill(elapsed: Int64) -> Int64 {
        guard rateRTT > 0 else { return 0 }
        let product = elapsed.multipliedReportingOverflow(by: rateWindow)
        let scaled = product.partialValue.multipliedReportingOverflow(by: Self.rateNumerator)
        if product.overflow || scaled.overflow { return .max }
        return scaled.partialValue / (rateRTT * Self.rateDenominator)
    }
}
