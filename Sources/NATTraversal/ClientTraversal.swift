public import NIOCore

// MARK: - ClientTraversal

/// The agent's side of NAT traversal: the QUIC client and the controlling agent (RFC 8445 §2.3,
/// draft-seemann-quic-nat-traversal-02 §3). It pairs candidates, asks for PUNCH_ME_NOW rounds, picks the
/// path, watches the direct path's liveness, and retries after failures. Sans-IO: time comes in as `now`.
///
/// Usage, in this order after every input:
/// - getters: `status`, `nextDeadline`;
/// - inputs: `peerSupport`, `peerDisabled`, `setLocalCandidates`, `remoteCandidateAdded/Removed`,
///   `peerReflexiveObserved`, `probeSucceeded/Failed`, `pathHealth`, `relayedRTT`, `handleTimeout`;
/// - output: `while let action = traversal.pollAction() { perform(action) }`, then arm a timer at
///   `nextDeadline` and call `handleTimeout(now:)` when it fires.
///
/// ```
///            ┌──────────── candidates change (immediately) ────────────┐
///            ▼                                                         │
///  idle ──▶ attempting ──first validated pair──▶ direct ──liveness fails──▶ waiting (30 s … 5 min)
///  (reason)     │ nothing validated in 10 s                                      ▲    │ timer
///               └────────────────────────────────────────────────────────────────┘    ▼
///                                                                               attempting
/// ```
public struct ClientTraversal: Sendable {
    // MARK: State

    enum Activity: Hashable, Sendable {
        /// Not attempting; relayed for `reason`, or direct.
        case idle
        case attempting(TraversalAttempt)
        /// A failure happened; the next attempt is due at `until` unless candidates change first.
        case waiting(until: NIODeadline)
    }

    enum Peer: Hashable, Sendable {
        case unknown
        case supported(concurrencyLimit: Int)
        case unavailable(RelayedReason)
    }

    struct Direct: Hashable, Sendable {
        var remote: SocketAddress
        var since: NIODeadline
        var rtt: TimeAmount
        var liveness: LivenessMonitor
    }

    public let configuration: TraversalConfiguration
    public let enabled: Bool
    let selector: PathSelector
    var peer: Peer = .unknown
    var locals: [Candidate] = []
    var remotes: RemoteCandidateSet
    var mappingVaries = false
    var activity: Activity = .idle
    var direct: Direct?
    /// Why the last attempt or direct path failed; the reason while waiting to retry.
    var failureReason: RelayedReason?
    var lastPath: TraversalPath
    var backoff: RecoveryBackoff
    /// The round of the latest PUNCH_ME_NOW frames; every attempt starts above it (draft §6.3).
    var lastRound: UInt64 = 0
    var actions = CircularBuffer<ClientTraversalAction>()
    var counters = ClientTraversalCounters()
    var lastChange: NIODeadline
    var pathChanges = 0
    var relayedRTTSample: TimeAmount?

    public init(configuration: TraversalConfiguration = .init(), enabled: Bool, now: NIODeadline) {
        self.configuration = configuration
        self.enabled = enabled
        selector = PathSelector(configuration: configuration)
        remotes = RemoteCandidateSet(capacity: configuration.maximumRemoteCandidates)
        lastPath = .relayed(enabled ? .negotiating : .disabledLocally)
        backoff = RecoveryBackoff(configuration: configuration)
        lastChange = now
    }

    // MARK: - Getters

    public var status: TraversalStatus {
        var nextAttempt: NIODeadline?
        if case .waiting(let until) = activity { nextAttempt = until }
        return TraversalStatus(path: currentPath, lastChange: lastChange, pathChanges: pathChanges,
                               attempts: counters.attemptsStarted, nextAttempt: nextAttempt,
                               directRTT: direct?.rtt, relayedRTT: relayedRTTSample,
                               mappingVariesByDestination: mappingVaries, counters: counters)
    }

    /// The earliest time `handleTimeout(now:)` has work; nil when nothing is scheduled.
    public var nextDeadline: NIODeadline? {
        var next: NIODeadline?
        func consider(_ deadline: NIODeadline?) {
            guard let deadline else { return }
            next = next.map { min($0, deadline) } ?? deadline
        }
        consider(direct?.liveness.nextDeadline(configuration: configuration))
        switch activity {
        case .idle: break
        case .attempting(let attempt): consider(attempt.nextDeadline(configuration: configuration))
        case .waiting(let until): consider(until)
        }
        return next
    }

    /// The next thing the glue must do, in order.
    public mutating func pollAction() -> ClientTraversalAction? {
        actions.popFirst()
    }

    // MARK: - Inputs: negotiation

    /// The connector's nat_traversal transport parameter arrived with its concurrency limit
    /// (draft §4.5). A limit below 1 is unusable and treated as no support.
    public mutating func peerSupport(concurrencyLimit: Int, now: NIODeadline) {
        guard concurrencyLimit >= 1 else { return peerDisabled(byConfiguration: false, now: now) }
        peer = .supported(concurrencyLimit: min(concurrencyLimit, max(configuration.concurrencyLimit, 1)))
        candidatesChanged(now: now)
    }

    /// The connector will not traverse: `byConfiguration` when it said so out of band (the reason becomes
    /// `.disabledByPeer`), otherwise its transport parameters lacked nat_traversal (`.peerLacksSupport`) —
    /// on the wire an old peer and a disabled one look the same.
    public mutating func peerDisabled(byConfiguration: Bool = false, now: NIODeadline) {
        let why: RelayedReason = byConfiguration ? .disabledByPeer : .peerLacksSupport
        peer = .unavailable(why)
        stop(reason: why, now: now)
    }

    // MARK: - Inputs: candidates

    /// Our candidates on the node's socket: host addresses and what relays observed. Duplicates and
    /// non-IP addresses are dropped, at most `maximumLocalCandidates` kept.
    public mutating func setLocalCandidates(_ candidates: [Candidate], now: NIODeadline) {
        var kept: [Candidate] = []
        var seen = Set<SocketAddress>()
        for candidate in candidates {
            guard candidate.family != nil, kept.count < configuration.maximumLocalCandidates else {
                counters.localCandidatesIgnored += 1
                continue
            }
            if seen.insert(candidate.address).inserted { kept.append(candidate) }
        }
        mappingVaries = MappingCheck.variesByDestination(kept)
        guard kept != locals else { return advance(now: now) }
        locals = kept
        // Our own addresses changed: probes from the old set are stale, so a running attempt starts over
        // with a new round (which also makes the connector drop the old round's probes).
        if case .attempting(var attempt) = activity, direct == nil {
            attempt.cancelAll(actions: &actions, counters: &counters)
            lastRound = attempt.round
            activity = .idle
        }
        candidatesChanged(now: now)
    }

    /// ADD_ADDRESS (draft §6.1). Peer input: a reused or withdrawn sequence is ignored and counted, and
    /// beyond `maximumRemoteCandidates` candidates are refused and counted.
    public mutating func remoteCandidateAdded(sequence: UInt64, address: SocketAddress, now: NIODeadline) {
        apply(remotes.addAdvertised(sequence: sequence, address: address), for: address, now: now)
    }

    /// What adding a remote candidate came to: a new one is paired (and probed); the rest are counted.
    private mutating func apply(_ outcome: RemoteCandidateSet.AddOutcome, for address: SocketAddress,
                                now: NIODeadline) {
        switch outcome {
        case .added:
            remoteAdded(address, now: now)
        case .duplicate:
            advance(now: now)
        case .stale, .unusable:
            counters.remoteCandidatesStale += 1
            advance(now: now)
        case .full:
            counters.remoteCandidatesRefused += 1
            advance(now: now)
        }
    }

    /// REMOVE_ADDRESS (draft §6.2). An unknown sequence is remembered (a late ADD_ADDRESS for it is then
    /// ignored) and counted. The active direct path is left to liveness: it may well still work.
    public mutating func remoteCandidateRemoved(sequence: UInt64, now: NIODeadline) {
        guard let address = remotes.remove(sequence: sequence) else {
            counters.remoteCandidatesStale += 1
            return advance(now: now)
        }
        if case .attempting(var attempt) = activity {
            attempt.removeRemote(address, actions: &actions, counters: &counters)
            activity = .attempting(attempt)
        }
        advance(now: now)
    }

    /// A probe from the connector arrived from `remote`, an address it never advertised: its NAT maps our
    /// direction there (RFC 8445 §7.2.5.3.1 peer-reflexive). This is how a per-destination-mapping NAT on one
    /// side still meets address-dependent filtering on the other. It is probed without PUNCH_ME_NOW.
    public mutating func peerReflexiveObserved(remote: SocketAddress, now: NIODeadline) {
        if let direct, direct.remote == remote { return advance(now: now) }
        let outcome = remotes.addPeerReflexive(address: remote)
        if outcome == .added { counters.peerReflexiveObserved += 1 }
        apply(outcome, for: remote, now: now)
    }

    // MARK: - Inputs: probes and paths

    /// The path to `remote` validated (PATH_RESPONSE), with the probe's RTT.
    public mutating func probeSucceeded(remote: SocketAddress, rtt: TimeAmount, now: NIODeadline) {
        guard case .attempting(var attempt) = activity, attempt.probeSucceeded(remote: remote, now: now) else {
            counters.unexpectedProbeResults += 1
            return advance(now: now)
        }
        counters.probesSucceeded += 1
        activity = .attempting(attempt)
        let current: PathMeasurement = direct.map { .direct(rtt: $0.rtt) } ?? .relayed(rtt: relayedRTTSample)
        if selector.shouldSwitch(from: current, to: .direct(rtt: rtt)) {
            actions.append(.migrate(to: remote))
            counters.migrations += 1
            direct = Direct(remote: remote, since: now, rtt: rtt, liveness: LivenessMonitor(activeSince: now))
            backoff.reset(configuration: configuration)
            markPathChange(now: now)
        }
        advance(now: now)
    }

    /// The glue's engine gave up validating `remote`.
    public mutating func probeFailed(remote: SocketAddress, now: NIODeadline) {
        if case .attempting(var attempt) = activity, attempt.probeFailed(remote: remote) {
            counters.probesFailed += 1
            activity = .attempting(attempt)
        } else {
            counters.unexpectedProbeResults += 1
        }
        advance(now: now)
    }

    /// The connection's view of the active direct path; ignored while relayed.
    public mutating func pathHealth(_ health: PathHealth, now: NIODeadline) {
        if var current = direct {
            current.liveness.update(health)
            current.rtt = health.smoothedRTT
            direct = current
        }
        advance(now: now)
    }

    /// The connection refused to move to the direct path `remote` that `.migrate` named (it was abandoned or
    /// evicted meanwhile): the path counts as failed, as if liveness had said so.
    public mutating func migrationFailed(remote: SocketAddress, now: NIODeadline) {
        guard let direct, direct.remote == remote else {
            counters.unexpectedProbeResults += 1
            return advance(now: now)
        }
        directPathFailed(now: now)
        advance(now: now)
    }

    /// The relayed path's RTT, for the status API (the relay is a backup tier, so it never competes).
    public mutating func relayedRTT(_ rtt: TimeAmount) {
        relayedRTTSample = rtt
    }

    public mutating func handleTimeout(now: NIODeadline) {
        advance(now: now)
    }
}
