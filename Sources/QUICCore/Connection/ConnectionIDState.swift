public import NIOCore

/// Connection-ID bookkeeping of one connection beyond its ID tables (RFC 9000 §5.1): our `retire_prior_to`,
/// the rotation schedule, and the peer's IDs we retired on our own initiative.
///
/// Rotation, as a small state machine (RFC 9000 §5.1.2):
///
/// ```
///   handshake complete ──► armed (deadline = now + interval)
///   armed ── deadline, connection in use, all older IDs retired ──► issue a fresh set with
///            retire_prior_to = first new sequence; re-arm (deadline = now + interval)
///   armed ── deadline, connection idle ──► skip; re-arm
///   armed ── deadline, older IDs not yet retired by the peer ──► owed (no deadline)
///   owed  ── the peer retires the last older ID ──► rotate now; re-arm
/// ```
struct ConnectionIDState: Sendable {
    /// Our Retire Prior To (RFC 9000 §19.15): the peer must stop using and retire our IDs with lower
    /// sequence numbers. They stay routed until it does.
    var retirePriorTo: UInt64 = 0
    /// When the next rotation is due; nil before the handshake completes, with rotation disabled, or while a
    /// rotation is owed.
    var rotationDeadline: NIODeadline?
    /// A rotation came due while the previous one's IDs were still in use; it happens when they are retired.
    var rotationOwed = false
    /// Rotations done (fresh sets issued with an increased Retire Prior To).
    var rotations = 0
    /// Peer sequence numbers at or above the peer's Retire Prior To that we retired ourselves (a new path,
    /// RFC 9000 §9.5), so that a retransmitted NEW_CONNECTION_ID does not bring them back. Only our own
    /// calls add to it, and it is pruned as the peer's Retire Prior To rises.
    var retiredPeerSequences: Set<UInt64> = []
}
