public import NIOCore

// MARK: - TraversalPath

/// Which path the tunnel uses, and why not a direct one when relayed.
public enum TraversalPath: Hashable, Sendable {
    case relayed(RelayedReason)
    case direct(remote: SocketAddress, since: NIODeadline)

    public var isDirect: Bool {
        if case .direct = self { return true }
        return false
    }

    /// Nil when direct (the `reason` of `/api/v1/status`).
    public var relayedReason: RelayedReason? {
        if case .relayed(let reason) = self { return reason }
        return nil
    }
}

// MARK: - ClientTraversalCounters

/// Outcome counters of the agent side, for metrics and the status API.
public struct ClientTraversalCounters: Hashable, Sendable {
    /// Attempts started / ended with a validated direct path / ended without one.
    public var attemptsStarted = 0
    public var attemptsSucceeded = 0
    public var attemptsFailed = 0
    /// PUNCH_ME_NOW frames asked for, rounds begun.
    public var punchesSent = 0
    public var roundsStarted = 0
    /// Probes started, retransmitted, validated, failed (schedule exhausted or reported), cancelled.
    public var probesStarted = 0
    public var probesRetransmitted = 0
    public var probesSucceeded = 0
    public var probesFailed = 0
    public var probesCancelled = 0
    /// Migrations to a direct path (first or better), and fallbacks after a direct path failed.
    public var migrations = 0
    public var directPathFailures = 0
    public var keepalivesSent = 0
    /// Remote candidates refused because `maximumRemoteCandidates` were held already.
    public var remoteCandidatesRefused = 0
    /// ADD_ADDRESS for a withdrawn sequence or a reused sequence with another address, and REMOVE_ADDRESS
    /// for an unknown sequence.
    public var remoteCandidatesStale = 0
    /// Local candidates beyond `maximumLocalCandidates`, or not IP addresses.
    public var localCandidatesIgnored = 0
    public var peerReflexiveObserved = 0
    /// Probe outcomes reported for an address nothing was probing (late or duplicate).
    public var unexpectedProbeResults = 0

    public init() {}
}

// MARK: - TraversalStatus

/// A snapshot for `/api/v1/status` and `ztna status`.
public struct TraversalStatus: Hashable, Sendable {
    public var path: TraversalPath
    /// When `path` last changed (also a change of reason).
    public var lastChange: NIODeadline
    /// Direct ↔ relayed switches and direct → direct migrations.
    public var pathChanges: Int
    /// Traversal attempts started.
    public var attempts: Int
    /// The next scheduled retry, if one is waiting.
    public var nextAttempt: NIODeadline?
    /// The RTT of the direct path (connection estimate, or the probe's) and of the relayed path.
    public var directRTT: TimeAmount?
    public var relayedRTT: TimeAmount?
    /// Whether relays observed per-destination mappings for our socket.
    public var mappingVariesByDestination: Bool
    public var counters: ClientTraversalCounters
}
