public import NIOCore

// MARK: - ServerTraversalAction

/// What the connector's glue must do, pulled with `ServerTraversal.pollAction()` in order.
public enum ServerTraversalAction: Hashable, Sendable {
    /// Send ADD_ADDRESS(sequence, address) (draft-seemann-quic-nat-traversal-02 §6.1).
    case advertise(sequence: UInt64, address: SocketAddress)
    /// Send REMOVE_ADDRESS(sequence) (draft §6.2).
    case withdraw(sequence: UInt64)
    /// Start server-initiated path validation towards `address` (draft §6.3): the probe opens our NAT
    /// for the agent's probes and reaches the agent through the mapping its own probe opened.
    case probe(address: SocketAddress)
    /// Send the probe to `address` again (the next transmission of its schedule).
    case reprobe(address: SocketAddress)
    /// Stop validating `address` (its round was superseded, or its schedule ran out).
    case cancelProbe(address: SocketAddress)
}

// MARK: - ServerTraversalCounters

/// Outcome counters of the connector side.
public struct ServerTraversalCounters: Hashable, Sendable {
    public var candidatesAdvertised = 0
    public var candidatesWithdrawn = 0
    /// Local candidates beyond `maximumLocalCandidates`, or not IP addresses.
    public var localCandidatesIgnored = 0
    /// PUNCH_ME_NOW frames that started a probe.
    public var punchesAccepted = 0
    /// PUNCH_ME_NOW for a round below the current one (draft §6.3: ignored).
    public var staleRoundsIgnored = 0
    /// PUNCH_ME_NOW beyond our concurrency limit in one round.
    public var punchesOverLimit = 0
    /// PUNCH_ME_NOW naming a sequence we never advertised or already withdrew.
    public var punchesUnknownSequence = 0
    /// PUNCH_ME_NOW with an unusable address (not IP, or another family than the paired candidate), or
    /// before the agent offered nat_traversal.
    public var punchesInvalid = 0
    /// PUNCH_ME_NOW repeating an address already probed in the round (a retransmitted frame).
    public var punchesDuplicate = 0
    public var probesStarted = 0
    public var probesRetransmitted = 0
    public var probesSucceeded = 0
    public var probesFailed = 0
    public var probesCancelled = 0
    public var unexpectedProbeResults = 0

    public init() {}
}

// MARK: - ServerTraversalStatus

/// A snapshot for the connector's `/api/v1/status`.
public struct ServerTraversalStatus: Hashable, Sendable {
    public var path: TraversalPath
    public var lastChange: NIODeadline
    public var pathChanges: Int
    /// Candidates currently advertised, by sequence.
    public var advertised: [UInt64: SocketAddress]
    /// The highest PUNCH_ME_NOW round seen.
    public var currentRound: UInt64?
    /// Addresses being probed now.
    public var probing: [SocketAddress]
    public var counters: ServerTraversalCounters
}
