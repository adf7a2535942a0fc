import NIOCore

/// CUBIC congestion control (RFC 9438) with NewReno's slow start (RFC 9002 §7.3.1).
///
/// In congestion avoidance the window follows the cubic function of the time `t` since the current
/// congestion avoidance stage began (RFC 9438 §4.2):
///
/// ```
///   W_cubic(t) = C * (t - K)^3 + W_max        K = cbrt((W_max - cwnd_epoch) / C)
/// ```
///
/// concave below `W_max`, convex above it, and never slower than the Reno-friendly estimate `W_est`
/// (§4.3). Windows are real numbers of segments in the RFC; here the window is kept in bytes as a `Double`
/// (fractional increments of many small ACKs add up) and the cubic terms are computed in segments.
struct CubicController: CongestionController {
    /// RFC 9438 §5.1 C = 0.4 (segments / second^3).
    static let c = 0.4
    /// RFC 9438 §4.6 β_cubic = 0.7.
    static let beta = 0.7
    /// RFC 9438 §4.3 α_cubic = 3 * (1 - β) / (1 + β), used until W_est reaches cwnd_prior.
    static let alpha = 3 * (1 - beta) / (1 + beta)

    let maxDatagramSize: Int
    /// The window in bytes, fractional in congestion avoidance.
    private var window: Double
    private(set) var slowStartThreshold: Int = .max
    private(set) var inRecovery = false
    private var recoveryStartTime: NIODeadline?

    // MARK: RFC 9438 §4.1 state (segments, seconds)

    /// W_max: the window just before the last reduction, adjusted by fast convergence (0: none yet).
    private(set) var wMax: Double = 0
    /// K: the time the cubic function takes to grow back to W_max.
    private(set) var k: Double = 0
    /// W_est: the Reno-friendly window estimate.
    private(set) var wEst: Double = 0
    /// cwnd_prior: the window before the last reduction.
    private var cwndPrior: Double = 0
    /// t_epoch: the start of the current congestion avoidance stage (nil: not in congestion avoidance yet).
    private var epochStart: NIODeadline?
    /// Start of the application-limited period in progress, excluded from `t` (RFC 9438 §5.8).
    private var appLimitedSince: NIODeadline?

    init(maxDatagramSize: Int) {
        self.maxDatagramSize = maxDatagramSize
        window = Double(CongestionWindowLimits.initialWindow(maxDatagramSize: maxDatagramSize))
    }

    /// The window in whole bytes (clamped so a runaway value can never trap the conversion).
    var congestionWindow: Int { Int(Swift.min(window, Self.largestWindow)) }

    /// Far beyond any real window, and exactly representable both as `Double` and as `Int`.
    private static let largestWindow = Double(1 << 52)

    var minimumWindow: Int { CongestionWindowLimits.minimumWindow(maxDatagramSize: maxDatagramSize) }

    private var segmentSize: Double { Double(maxDatagramSize) }

    // MARK: - Acknowledgements

    mutating func onAcked(bytes: Int, timeSent: NIODeadline, now: NIODeadline, rtt: RTTEstimator, isAppLimited: Bool) {
        // RFC 9002 §7.3.2: packets sent before the recovery started do not grow the window.
        if let start = recoveryStartTime, timeSent <= start { return }
        inRecovery = false
        guard bytes > 0 else { return }
        if isAppLimited {
            // RFC 9438 §5.8: no growth, and the time spent application-limited does not count in `t`.
            if epochStart != nil, appLimitedSince == nil { appLimitedSince = now }
            return
        }
        if let since = appLimitedSince, let start = epochStart {
            if now > since { epochStart = start + (now - since) }
            appLimitedSince = nil
        }
        if window < Double(slowStartThreshold) {
            // Slow start as NewReno (RFC 9438 §4.10 allows it): grow by the bytes acknowledged.
            window += Double(bytes)
            return
        }
        congestionAvoidance(bytes: bytes, now: now, smoothedRTT: rtt.smoothedRTT)
    }

    /// RFC 9438 §4.2–§4.5: one ACK in congestion avoidance.
    private mutating func congestionAvoidance(bytes: Int, now: NIODeadline, smoothedRTT: TimeAmount) {
        let cwnd = window / segmentSize
        let start: NIODeadline
        if let epochStart {
            start = epochStart
        } else {
            // The stage begins: cwnd_epoch is the current window. After persistent congestion W_max was cleared
            // and becomes the current window, which makes K = 0 (§4.8).
            start = now
            epochStart = now
            wMax = Swift.max(wMax, cwnd)
            k = Self.cubeRoot((wMax - cwnd) / Self.c)
            wEst = cwnd
        }
        let t = Self.seconds(now - start)
        let segmentsAcked = Double(bytes) / segmentSize

        // §4.3: the Reno-friendly estimate grows like Reno with α_cubic, and like Reno itself (α = 1) once it
        // has reached the window from before the reduction.
        let alpha = wEst >= cwndPrior ? 1.0 : Self.alpha
        wEst += alpha * segmentsAcked / cwnd

        let newWindow: Double
        if cubicWindow(elapsed: t) < wEst {
            newWindow = wEst  // §4.3 Reno-friendly region.
        } else {
            // §4.4, §4.5: aim at W_cubic one RTT ahead, clamped to [cwnd, 1.5 cwnd], spread over the window.
            let ahead = cubicWindow(elapsed: t + Self.seconds(smoothedRTT))
            let target = Swift.min(Swift.max(ahead, cwnd), 1.5 * cwnd)
            newWindow = cwnd + (target - cwnd) * segmentsAcked / cwnd
        }
        window = Swift.max(window, newWindow * segmentSize)
    }

    /// RFC 9438 Figure 1: W_cubic(t) in segments, `t` in seconds since the start of the stage.
    func cubicWindow(elapsed t: Double) -> Double {
        let offset = t - k
        return Self.c * offset * offset * offset + wMax
    }

    // MARK: - Congestion signals

    /// RFC 9438 §4.6 multiplicative decrease and §4.7 fast convergence, once per recovery period.
    mutating func onCongestionEvent(timeSent: NIODeadline, now: NIODeadline) {
        if let start = recoveryStartTime, timeSent <= start { return }
        recoveryStartTime = now
        inRecovery = true
        let cwnd = window / segmentSize
        // §4.7: a window that stopped below the previous W_max means more flows compete: release bandwidth.
        wMax = cwnd < wMax ? cwnd * (1 + Self.beta) / 2 : cwnd
        cwndPrior = cwnd
        // §4.6 with RFC 9002 §7.3.2: ssthresh = cwnd * β, never below the minimum window.
        slowStartThreshold = Swift.max(Int(window * Self.beta), minimumWindow)
        window = Double(slowStartThreshold)
        epochStart = nil
        appLimitedSince = nil
    }

    /// RFC 9002 §7.6.2 and RFC 9438 §4.8: the window drops to the minimum; the next congestion avoidance stage
    /// starts with K = 0 and W_max = the window at its beginning.
    mutating func onPersistentCongestion() {
        window = Double(minimumWindow)
        recoveryStartTime = nil
        inRecovery = false
        epochStart = nil
        appLimitedSince = nil
        wMax = 0
    }

    mutating func reset() {
        self = CubicController(maxDatagramSize: maxDatagramSize)
    }

    // MARK: - Arithmetic

    private static func seconds(_ amount: TimeAmount) -> Double {
        Double(amount.nanoseconds) / 1_000_000_000
    }

    /// Real cube root of a non-negative value (Newton's method; the standard library has none without
    /// Foundation). Negative inputs give 0, which is what K needs when cwnd_epoch exceeds W_max.
    static func cubeRoot(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 0 }
        // Start from a power of two near the root, then refine: quadratic convergence.
        var x = Double(sign: .plus, exponent: value.exponent / 3, significand: 1)
        for _ in 0..<64 {
            let next = x - (x * x * x - value) / (3 * x * x)
            if (next - x).magnitude <= x.ulp * 4 { return next }
            x = next
        }
        return x
    }
}
