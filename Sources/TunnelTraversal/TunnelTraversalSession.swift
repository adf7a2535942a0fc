public import NATTraversal
public import NIOCore
public import QUICCore

/// What the runtime needs of either side's session: feed it the connection's events, the node's candidates
/// and its timer; read where the tunnel is and why.
public protocol TunnelTraversalSession: Sendable {
    /// The path the tunnel uses, or why it is relayed.
    var path: TraversalPath { get }
    /// Attempts started, and how they ended (the agent decides; a connector reports zeros).
    var attempts: (succeeded: Int, failed: Int) { get }
    /// When `handleTimeout` has work.
    var nextDeadline: NIODeadline? { get }
    mutating func handle(_ event: QUICConnectionEvent, connection: inout QUICConnection, now: NIODeadline)
    mutating func setLocalCandidates(_ candidates: [Candidate], connection: inout QUICConnection, now: NIODeadline)
    mutating func handleTimeout(connection: inout QUICConnection, now: NIODeadline)
}

extension AgentTraversalSession: TunnelTraversalSession {
    public var path: TraversalPath { traversal.status.path }
    public var attempts: (succeeded: Int, failed: Int) {
        let counters = traversal.status.counters
        return (counters.attemptsSucceeded, counters.attemptsFailed)
    }
}

extension ConnectorTraversalSession: TunnelTraversalSession {
    public var path: TraversalPath { traversal.status.path }
    public var attempts: (succeeded: Int, failed: Int) { (0, 0) }
}
