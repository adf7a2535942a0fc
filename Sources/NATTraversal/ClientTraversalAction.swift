public import NIOCore

// MARK: - ClientTraversalAction

/// What the agent's glue must do, pulled with `ClientTraversal.pollAction()` in order.
public enum ClientTraversalAction: Hashable, Sendable {
    /// Send PUNCH_ME_NOW(round, pairedWith, local) and start validating a path to `remote`
    /// (draft-seemann-quic-nat-traversal-02 §6.3). If `remote` is already being probed (an earlier `.punch`
    /// of this round named it with another local address), only send the frame: the probe continues.
    case punch(round: UInt64, pairedWith: UInt64, local: SocketAddress, remote: SocketAddress)
    /// Start validating a path to a peer-reflexive `remote`: no PUNCH_ME_NOW, since the connector is already
    /// probing us from it (RFC 8445 §7.2.5.3.1 learns the candidate from that probe).
    case probe(remote: SocketAddress)
    /// Send the probe to `remote` again (the next transmission of its schedule).
    case reprobe(remote: SocketAddress)
    /// Stop validating `remote` and forget the path.
    case cancelProbe(remote: SocketAddress)
    /// Migrate the connection to the validated direct path `to` (RFC 9000 §9).
    case migrate(to: SocketAddress)
    /// Make the relayed path active now (idempotent when it already is).
    case fallBack(reason: RelayedReason)
    /// Send a PING on the idle active direct path.
    case keepalive
}
