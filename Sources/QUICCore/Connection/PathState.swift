public import NIOCore
import QUICWire

/// One network path of a connection (RFC 9000 §8.2, §9): the active one, or a candidate being probed.
struct PathState: Sendable {
    var remote: PathAddress
    /// RFC 9000 §8: the peer proved it receives on this path (for the server's initial path: a Handshake
    /// packet or a Retry token; otherwise a PATH_RESPONSE to our PATH_CHALLENGE).
    var isValidated: Bool
    var bytesReceived = 0
    /// Bytes sent that count against the anti-amplification limit (RFC 9000 §8.1): everything but the
    /// PATH_CHALLENGE datagrams the application asked for (`probedByApplication`), which have their own bound.
    var bytesSent = 0
    /// The largest UDP payload we send on this path (a relayed path carries less than a direct one).
    var maxUDPPayload: Int

    // MARK: Path validation (RFC 9000 §8.2)
    /// Data of the PATH_CHALLENGE frames sent and not yet answered; a response matching any validates.
    /// (The data of each, with when it was sent: the response gives the path's round-trip time.)
    var outstandingChallenges: [UInt64: NIODeadline] = [:]
    /// Round-trip time measured by PATH_CHALLENGE → PATH_RESPONSE while the path is not the active one (the
    /// active path's estimate lives in loss recovery). Seeds the estimator when the connection moves here.
    var rtt: RTTEstimator?
    /// A PATH_CHALLENGE must go out (first try or retransmission).
    var challengePending = false
    var challengesSent = 0
    /// When to retransmit the challenge, and when to give up on the path.
    var retransmitAt: NIODeadline?
    var validationDeadline: NIODeadline?
    /// PATH_RESPONSE frames to send on this path (RFC 9000 §8.2.2: on the path the challenge came from).
    var pendingResponses: [UInt64] = []
    /// The application asked us to probe this address (`probePath`): our PATH_CHALLENGE datagrams may go out
    /// before anything arrived from it. The anti-amplification limit (RFC 9000 §8.1) guards against a peer
    /// making us send to a victim; a probe the application chose, bounded by the validation schedule, is not
    /// that. Everything else on the path stays limited until it validates.
    var probedByApplication = false
    /// `.probeReceived` was reported for this path (once per path).
    var challengeReported = false
    /// The peer's connection ID we send with on this path while it is not the active one (RFC 9000 §9.5: never
    /// the same ID towards two destinations, so observers cannot link the paths). Drawn from the peer's spare
    /// IDs when the first datagram goes out on the path; nil while none was needed or none was spare.
    var peerConnectionID: PeerConnectionID?

    // MARK: Liveness (the application's failure detection, DESIGN.md §6)
    /// When the last authenticated packet arrived on this path.
    var lastReceived: NIODeadline?
    /// When the last ack-eliciting packet (not a path probe) left on this path while it was the active one.
    var lastAckElicitingSent: NIODeadline?

    init(remote: PathAddress, isValidated: Bool, maxUDPPayload: Int) {
        self.remote = remote
        self.isValidated = isValidated
        self.maxUDPPayload = maxUDPPayload
    }

    /// Bytes the anti-amplification limit still allows on this path (RFC 9000 §8.1, §9.3.1).
    var amplificationBudget: Int {
        isValidated ? Int.max : max(0, 3 * bytesReceived - bytesSent)
    }

    var isValidating: Bool { validationDeadline != nil }

    /// Whether the next path-validation datagram is exempt from the anti-amplification limit: it carries a
    /// PATH_CHALLENGE the application asked for. (PATH_RESPONSE frames to a never-validated address are not:
    /// they go out within three times what arrived from it, or ride along in such a datagram.)
    var probeIsExempt: Bool { probedByApplication && challengePending }

    /// Bytes a path-validation datagram may use now.
    var probeBudget: Int {
        probeIsExempt ? maxUDPPayload : min(maxUDPPayload, amplificationBudget)
    }

    /// Whether a datagram must go out on this path for validation purposes.
    var hasProbeWork: Bool { challengePending || !pendingResponses.isEmpty }

    /// The earliest validation timer.
    var nextDeadline: NIODeadline? {
        [retransmitAt, validationDeadline].compactMap { $0 }.min()
    }
}

/// How a path is validated (RFC 9000 §8.2.1, DESIGN.md §6: retransmit at 100 ms doubling, 5 transmissions).
public struct PathValidationPolicy: Sendable, Hashable {
    /// Delay before the first retransmission of a PATH_CHALLENGE; it doubles after each.
    public var initialRetransmit: TimeAmount = .milliseconds(100)
    /// PATH_CHALLENGE transmissions before the path is declared failed (once their last timer runs out).
    public var maxTransmissions: Int = 5
    public init() {}
}

/// One of the peer's connection IDs with its sequence number and stateless reset token (RFC 9000 §5.1.1).
struct PeerConnectionID: Sendable, Hashable {
    var id: ConnectionID
    var sequence: UInt64
    /// Nil for the ID the handshake used when the peer gave it no token (a client's first ID, RFC 9000 §10.3).
    var token: StatelessResetToken?
}
