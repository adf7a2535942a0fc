public import NIOCore

// MARK: - PathHealth

/// What the QUIC connection knows about the active direct path, reported by the glue whenever it changes
/// (typically after each flush). All times are on the glue's clock, the one that supplies `now`.
public struct PathHealth: Hashable, Sendable {
    /// When the oldest ack-eliciting packet still unacknowledged on the direct path was sent; nil when
    /// everything sent has been acknowledged (or declared lost and acknowledged in a retransmission).
    public var unacknowledgedSince: NIODeadline?
    /// When the last ack-eliciting packet (data or PING, keepalives included) went out on the direct path.
    public var lastAckElicitingSent: NIODeadline?
    /// When the last packet arrived on the direct path.
    public var lastReceived: NIODeadline?
    /// The connection's current PTO (RFC 9002 §6.2.1).
    public var probeTimeout: TimeAmount
    /// The connection's smoothed RTT on the direct path (RFC 9002 §5.3).
    public var smoothedRTT: TimeAmount

    public init(unacknowledgedSince: NIODeadline? = nil, lastAckElicitingSent: NIODeadline? = nil,
                lastReceived: NIODeadline? = nil, probeTimeout: TimeAmount, smoothedRTT: TimeAmount) {
        self.unacknowledgedSince = unacknowledgedSince
        self.lastAckElicitingSent = lastAckElicitingSent
        self.lastReceived = lastReceived
        self.probeTimeout = probeTimeout
        self.smoothedRTT = smoothedRTT
    }
}

// MARK: - LivenessMonitor

/// Decides when the active direct path needs a keepalive and when it has failed (DESIGN.md §6 "Liveness").
///
/// - Idle (nothing ack-eliciting sent for `keepaliveInterval`): send a keepalive PING.
/// - A keepalive is answered when anything arrives after it was sent. When the next keepalive falls due and
///   the previous one is unanswered, that counts one; `unansweredKeepalivesToFail` in a row fail the path.
/// - Traffic flowing: the oldest unacknowledged packet older than clamp(3 × PTO, 1 s, 3 s) fails the path at
///   once. When that oldest packet is one of our outstanding keepalives (sent at or after the first
///   keepalive since anything arrived), the keepalive rule applies instead — an idle path tolerates a lost PING, as DESIGN.md §6 asks.
struct LivenessMonitor: Hashable, Sendable {
    /// When the direct path became active; the reference before any health report.
    let activeSince: NIODeadline
    private(set) var health: PathHealth?
    /// The last keepalive we asked for, if any.
    private(set) var lastKeepalive: NIODeadline?
    /// The first keepalive sent since anything last arrived: packets sent from then on are the
    /// keepalive rule's business.
    private(set) var outstandingSince: NIODeadline?
    /// Keepalives in a row found unanswered.
    private(set) var unansweredKeepalives = 0

    enum Verdict: Hashable {
        case healthy
        case sendKeepalive
        case failed
    }

    init(activeSince: NIODeadline) {
        self.activeSince = activeSince
    }

    mutating func update(_ health: PathHealth) {
        self.health = health
        if let outstandingSince, isAnswered(sentAt: outstandingSince) {
            self.outstandingSince = nil
            unansweredKeepalives = 0
        }
    }

    // MARK: Deadlines

    /// When the path is idle long enough for a keepalive.
    func keepaliveDeadline(configuration: TraversalConfiguration) -> NIODeadline {
        var reference = activeSince
        if let sent = health?.lastAckElicitingSent { reference = max(reference, sent) }
        if let lastKeepalive { reference = max(reference, lastKeepalive) }
        return reference + configuration.keepaliveInterval
    }

    /// When unacknowledged traffic fails the path, if traffic is what is outstanding.
    func trafficFailureDeadline(configuration: TraversalConfiguration) -> NIODeadline? {
        guard let health, let oldest = health.unacknowledgedSince else { return nil }
        if let outstandingSince, oldest >= outstandingSince { return nil }
        // Packets from before the path became active do not count against it.
        return max(oldest, activeSince) + configuration.failureTimeout(probeTimeout: health.probeTimeout)
    }

    func nextDeadline(configuration: TraversalConfiguration) -> NIODeadline {
        let keepalive = keepaliveDeadline(configuration: configuration)
        guard let failure = trafficFailureDeadline(configuration: configuration) else { return keepalive }
        return min(keepalive, failure)
    }

    // MARK: Evaluation

    mutating func evaluate(now: NIODeadline, configuration: TraversalConfiguration) -> Verdict {
        if let failure = trafficFailureDeadline(configuration: configuration), now >= failure { return .failed }
        guard now >= keepaliveDeadline(configuration: configuration) else { return .healthy }
        if let lastKeepalive {
            if isAnswered(sentAt: lastKeepalive) {
                unansweredKeepalives = 0
            } else {
                unansweredKeepalives += 1
                if unansweredKeepalives >= max(configuration.unansweredKeepalivesToFail, 1) { return .failed }
            }
        }
        lastKeepalive = now
        if outstandingSince == nil { outstandingSince = now }
        return .sendKeepalive
    }

    private func isAnswered(sentAt: NIODeadline) -> Bool {
        guard let received = health?.lastReceived else { return false }
        return received > sentAt
    }
}
