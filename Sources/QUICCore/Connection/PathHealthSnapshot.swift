public import NIOCore

/// What the connection knows about the liveness of its active path at one moment, for the application's
/// failure detection (DESIGN.md §6: loss of acknowledgements for about three PTOs marks a direct path failed).
/// QUICCore decides nothing from it; the policy lives in the application.
///
/// ```swift
/// let health = connection.pathHealth(now: now)
/// let limit = min(max(health.probeTimeout * 3, .seconds(1)), .seconds(3))
/// if let waiting = health.unacknowledgedFor, waiting > limit { try connection.migrate(to: relayed, abandoningCurrent: true, now: now) }
/// ```
public struct PathHealthSnapshot: Sendable, Hashable {
    /// The active path the snapshot describes.
    public var path: PathAddress
    /// When the snapshot was taken.
    public var now: NIODeadline
    /// Send time of the oldest ack-eliciting packet of the application space still in flight (neither
    /// acknowledged nor declared lost); nil when none is. (After `migrate(to:abandoningCurrent: false, now:)`
    /// packets still in flight from the previous path count here until they are acknowledged or lost.)
    public var unacknowledgedSince: NIODeadline?
    /// When the last ack-eliciting packet (not a path probe) went out on this path; nil if none did.
    public var lastAckElicitingSent: NIODeadline?
    /// When the last authenticated packet arrived on this path; nil if none did.
    public var lastReceived: NIODeadline?
    /// The current probe timeout of the application space (RFC 9002 §6.2.1: smoothed RTT + max(4 × RTT
    /// variance, 1 ms) + the peer's max_ack_delay), without exponential backoff.
    public var probeTimeout: TimeAmount

    public init(path: PathAddress, now: NIODeadline, unacknowledgedSince: NIODeadline?,
                lastAckElicitingSent: NIODeadline?, lastReceived: NIODeadline?, probeTimeout: TimeAmount) {
        self.path = path
        self.now = now
        self.unacknowledgedSince = unacknowledgedSince
        self.lastAckElicitingSent = lastAckElicitingSent
        self.lastReceived = lastReceived
        self.probeTimeout = probeTimeout
    }

    /// How long the oldest ack-eliciting packet in flight has waited for its acknowledgement.
    public var unacknowledgedFor: TimeAmount? { unacknowledgedSince.map { now - $0 } }
    /// How long nothing arrived on the path.
    public var silentFor: TimeAmount? { lastReceived.map { now - $0 } }
}
