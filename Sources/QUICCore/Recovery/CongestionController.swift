import NIOCore

/// The congestion controller a connection uses (RFC 9002 §7 allows any RFC 5033-compliant controller).
public enum CongestionControlAlgorithm: String, Sendable, CaseIterable {
    /// RFC 9002 §7 and Appendix B: NewReno with byte counting.
    case newReno
    /// RFC 9438: CUBIC, with NewReno's slow start.
    case cubic
}

/// A sender-side congestion controller (RFC 9002 §7).
///
/// Windows are in bytes. The connection tracks bytes in flight and asks `congestionWindow` before sending;
/// the controller only reacts to acknowledgements and congestion signals. Time is always a parameter.
protocol CongestionController: Sendable {
    /// The congestion window in bytes.
    var congestionWindow: Int { get }
    /// The slow start threshold in bytes (`Int.max` until the first congestion event).
    var slowStartThreshold: Int { get }
    /// Whether the controller is in a recovery period (RFC 9002 §7.3.2): between a congestion event and the
    /// acknowledgement of the first packet sent after it.
    var inRecovery: Bool { get }

    /// A packet carrying `bytes` (in flight) was acknowledged. A packet sent during the current recovery
    /// period does not grow the window; nor does an application-limited one (RFC 9002 §7.8).
    mutating func onAcked(bytes: Int, timeSent: NIODeadline, now: NIODeadline, rtt: RTTEstimator, isAppLimited: Bool)

    /// Loss or ECN-CE of a packet sent at `timeSent` (RFC 9002 §7.3.2): the window is reduced at most once
    /// per recovery period, that is only for packets sent after the current recovery started.
    mutating func onCongestionEvent(timeSent: NIODeadline, now: NIODeadline)

    /// RFC 9002 §7.6.2: persistent congestion collapses the window to the minimum.
    mutating func onPersistentCongestion()

    /// Back to the initial state (migration to a new path, RFC 9000 §9.4).
    mutating func reset()
}

// MARK: - Window limits

/// Window sizes shared by the controllers (RFC 9002 §7.2).
enum CongestionWindowLimits {
    /// RFC 9002 §7.2: min(10 * max_datagram_size, max(2 * max_datagram_size, 14720)).
    static func initialWindow(maxDatagramSize: Int) -> Int {
        Swift.min(10 * maxDatagramSize, Swift.max(2 * maxDatagramSize, 14_720))
    }

    /// RFC 9002 §7.2 kMinimumWindow: 2 * max_datagram_size.
    static func minimumWindow(maxDatagramSize: Int) -> Int {
        2 * maxDatagramSize
    }
}

// MARK: - Factory

extension CongestionControlAlgorithm {
    /// A controller of this algorithm in its initial state.
    func makeController(maxDatagramSize: Int) -> any CongestionController {
        switch self {
        case .newReno: NewRenoController(maxDatagramSize: maxDatagramSize)
        case .cubic: CubicController(maxDatagramSize: maxDatagramSize)
        }
    }
}
