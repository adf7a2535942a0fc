import NIOCore

/// NewReno congestion control as specified by RFC 9002 §7 and Appendix B.
///
/// ```
///            new path / reset
///                   |
///                   v
///   +------------------------+  congestion event  +-------------------+
///   | slow start             |------------------->| recovery          |
///   | cwnd += acked bytes    |                    | no growth, one    |
///   +------------------------+                    | reduction per     |
///         |  cwnd >= ssthresh                     | period            |
///         v                                       +-------------------+
///   +------------------------+  congestion event          | ACK of a packet sent
///   | congestion avoidance   |--------------------------->| after recovery start
///   | +1 datagram per window |<---------------------------+
///   +------------------------+
/// ```
/// Persistent congestion drops the window to the minimum from any state (§7.6.2).
struct NewRenoController: CongestionController {
    /// RFC 9002 §7.3.2 kLossReductionFactor = 0.5.
    static let lossReductionDivisor = 2

    let maxDatagramSize: Int
    private(set) var congestionWindow: Int
    private(set) var slowStartThreshold: Int = .max
    private(set) var inRecovery = false
    /// RFC 9002 Appendix B.2 congestion_recovery_start_time (nil: none yet, or cleared by persistent congestion).
    private var recoveryStartTime: NIODeadline?
    /// Bytes acknowledged in congestion avoidance since the window last grew (byte counting, §7.3.3).
    private var bytesAckedInAvoidance = 0

    init(maxDatagramSize: Int) {
        self.maxDatagramSize = maxDatagramSize
        congestionWindow = CongestionWindowLimits.initialWindow(maxDatagramSize: maxDatagramSize)
    }

    var minimumWindow: Int { CongestionWindowLimits.minimumWindow(maxDatagramSize: maxDatagramSize) }

    // MARK: - Acknowledgements

    /// RFC 9002 Appendix B.5 OnPacketAcked.
    mutating func onAcked(bytes: Int, timeSent: NIODeadline, now: NIODeadline, rtt: RTTEstimator, isAppLimited: Bool) {
        // §7.3.2: packets sent before the recovery started do not grow the window.
        if let start = recoveryStartTime, timeSent <= start { return }
        // §7.3.2: the acknowledgement of a packet sent after the start of recovery ends the recovery period.
        inRecovery = false
        // §7.8: an application-limited sender must not grow its window.
        guard !isAppLimited, bytes > 0 else { return }
        if congestionWindow < slowStartThreshold {
            // §7.3.1 slow start: grow by the number of bytes acknowledged.
            congestionWindow += bytes
            return
        }
        // §7.3.3 congestion avoidance: one maximum datagram per window of acknowledged bytes. Counting whole
        // windows (instead of mds * bytes / cwnd per packet) keeps the integer arithmetic exact.
        bytesAckedInAvoidance += bytes
        if bytesAckedInAvoidance >= congestionWindow {
            bytesAckedInAvoidance -= congestionWindow
            congestionWindow += maxDatagramSize
        }
    }

    // MARK: - Congestion signals

    /// RFC 9002 Appendix B.6 OnCongestionEvent.
    mutating func onCongestionEvent(timeSent: NIODeadline, now: NIODeadline) {
        // One reduction per recovery period: a packet sent before the current period started is part of the
        // loss episode that caused it.
        if let start = recoveryStartTime, timeSent <= start { return }
        recoveryStartTime = now
        inRecovery = true
        // The threshold is kept at or above the minimum so window and threshold agree after the reduction.
        slowStartThreshold = Swift.max(congestionWindow / Self.lossReductionDivisor, minimumWindow)
        congestionWindow = slowStartThreshold
        bytesAckedInAvoidance = 0
    }

    /// RFC 9002 Appendix B.8: persistent congestion.
    mutating func onPersistentCongestion() {
        congestionWindow = minimumWindow
        recoveryStartTime = nil
        inRecovery = false
        bytesAckedInAvoidance = 0
    }

    mutating func reset() {
        self = NewRenoController(maxDatagramSize: maxDatagramSize)
    }
}
