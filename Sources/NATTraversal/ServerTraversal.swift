public import NIOCore

// MARK: - ServerTraversal

/// The connector's side of NAT traversal: the QUIC server and the controlled agent
/// (draft-seemann-quic-nat-traversal-02 §3). It advertises its candidates once the agent offered the
/// extension, probes the addresses the agent pairs (server-initiated validation) within its concurrency
/// limit, and lets a higher round cancel a lower one. The agent chooses and migrates; this side follows.
///
/// Usage: inputs `clientSupport`, `setLocalCandidates`, `punchMeNow`, `probeSucceeded/Failed`,
/// `activePathChanged`, `handleTimeout`; then `while let action = pollAction() { … }` and a timer at
/// `nextDeadline`.
///
/// ```
///  PUNCH_ME_NOW(round r) ── r < current ──▶ ignored, counted
///        │ r > current: cancel every probe of older rounds
///        ▼
///  probe(address) if fewer than `limit` in flight ──▶ reprobe 100…800 ms ──▶ validated / failed at 3.1 s
/// ```
public struct ServerTraversal: Sendable {
    // MARK: State

    private struct InFlight: Hashable, Sendable {
        var address: SocketAddress
        var timer: ProbeTimer
    }

    public let configuration: TraversalConfiguration
    public let enabled: Bool
    /// nil until the agent's transport parameters arrive.
    private var clientSupported: Bool?
    private var locals: [Candidate] = []
    /// Advertised candidates in advertisement order.
    private var advertised: [(sequence: UInt64, address: SocketAddress)] = []
    /// The next ADD_ADDRESS sequence: increases, never reused (draft §6.1).
    private var nextSequence: UInt64 = 0
    private var currentRound: UInt64?
    private var inFlight: [InFlight] = []
    private var direct: (remote: SocketAddress, since: NIODeadline)?
    private var directFailed = false
    private var lastProbesFailed = false
    private var actions = CircularBuffer<ServerTraversalAction>()
    private var counters = ServerTraversalCounters()
    private var lastPath: TraversalPath
    private var lastChange: NIODeadline
    private var pathChanges = 0

    public init(configuration: TraversalConfiguration = .init(), enabled: Bool, now: NIODeadline) {
        self.configuration = configuration
        self.enabled = enabled
        lastPath = .relayed(enabled ? .negotiating : .disabledLocally)
        lastChange = now
    }

    // MARK: - Getters

    /// The value of our nat_traversal transport parameter (draft §4.5): how many paths we probe at once.
    public var concurrencyLimit: Int { max(configuration.concurrencyLimit, 1) }

    public var status: ServerTraversalStatus {
        ServerTraversalStatus(path: currentPath, lastChange: lastChange, pathChanges: pathChanges,
                              advertised: Dictionary(advertised, uniquingKeysWith: { first, _ in first }),
                              currentRound: currentRound, probing: inFlight.map(\.address), counters: counters)
    }

    public var nextDeadline: NIODeadline? {
        inFlight.map(\.timer.deadline).min()
    }

    public mutating func pollAction() -> ServerTraversalAction? {
        actions.popFirst()
    }

    // MARK: - Inputs

    /// The agent's transport parameters arrived: `supported` if they carried nat_traversal. Only then may
    /// ADD_ADDRESS be sent (draft §4.5).
    public mutating func clientSupport(_ supported: Bool, now: NIODeadline) {
        clientSupported = supported
        if supported { syncAdvertisements() } else { cancelAllProbes() }
        refreshPath(now: now)
    }

    /// Our candidates: new addresses are advertised with fresh sequence numbers, vanished ones withdrawn.
    /// Advertisement follows priority order, so the agent's stable pairing prefers lower sequences.
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
        locals = kept.enumerated().sorted { lhs, rhs in
            lhs.element.priority != rhs.element.priority
                ? lhs.element.priority > rhs.element.priority : lhs.offset < rhs.offset
        }.map(\.element)
        syncAdvertisements()
        refreshPath(now: now)
    }

    /// PUNCH_ME_NOW(round, pairedWith, address) from the agent (draft §6.3). Everything is peer input: it is
    /// compared, never used in arithmetic, and refused (and counted) when it does not fit.
    public mutating func punchMeNow(round: UInt64, pairedWith: UInt64, address: SocketAddress, now: NIODeadline) {
        defer { refreshPath(now: now) }
        guard enabled, clientSupported == true, let family = AddressFamily(address) else {
            counters.punchesInvalid += 1
            return
        }
        guard let paired = advertised.first(where: { $0.sequence == pairedWith }) else {
            counters.punchesUnknownSequence += 1
            return
        }
        guard AddressFamily(paired.address) == family else {
            counters.punchesInvalid += 1
            return
        }
        if let currentRound {
            if round < currentRound {
                counters.staleRoundsIgnored += 1
                return
            }
            if round > currentRound { cancelAllProbes() }
        }
        currentRound = round
        if inFlight.contains(where: { $0.address == address }) {
            counters.punchesDuplicate += 1
            return
        }
        guard inFlight.count < concurrencyLimit else {
            counters.punchesOverLimit += 1
            return
        }
        inFlight.append(InFlight(address: address, timer: ProbeTimer(now: now, configuration: configuration)))
        actions.append(.probe(address: address))
        counters.punchesAccepted += 1
        counters.probesStarted += 1
        lastProbesFailed = false
    }

    /// The path to `address` validated.
    public mutating func probeSucceeded(address: SocketAddress, now: NIODeadline) {
        if removeProbe(address) {
            counters.probesSucceeded += 1
            lastProbesFailed = false
        } else {
            counters.unexpectedProbeResults += 1
        }
        refreshPath(now: now)
    }

    /// The glue's engine gave up validating `address`.
    public mutating func probeFailed(address: SocketAddress, now: NIODeadline) {
        if removeProbe(address) {
            counters.probesFailed += 1
            lastProbesFailed = inFlight.isEmpty
        } else {
            counters.unexpectedProbeResults += 1
        }
        refreshPath(now: now)
    }

    /// The agent migrated: `direct` is the direct address now in use, nil for the relayed path. Leaving a
    /// direct path for the relay is the agent's fallback, so it is reported as a failed direct path.
    public mutating func activePathChanged(direct remote: SocketAddress?, now: NIODeadline) {
        switch (direct, remote) {
        case (nil, nil):
            return
        case (let old?, let new?) where old.remote == new:
            return
        case (.some, nil):
            directFailed = true
            direct = nil
        case (_, let new?):
            directFailed = false
            direct = (new, now)
        }
        pathChanges += 1
        refreshPath(now: now)
    }

    public mutating func handleTimeout(now: NIODeadline) {
        var index = 0
        while index < inFlight.count {
            guard now >= inFlight[index].timer.deadline else { index += 1; continue }
            switch inFlight[index].timer.expire(now: now, configuration: configuration) {
            case .retransmit:
                actions.append(.reprobe(address: inFlight[index].address))
                counters.probesRetransmitted += 1
            case .failed:
                actions.append(.cancelProbe(address: inFlight[index].address))
                counters.probesFailed += 1
                inFlight.remove(at: index)
                lastProbesFailed = inFlight.isEmpty
            }
        }
        refreshPath(now: now)
    }

    // MARK: - Helpers

    private mutating func syncAdvertisements() {
        guard enabled, clientSupported == true else { return }
        let wanted = Set(locals.map(\.address))
        for entry in advertised where !wanted.contains(entry.address) {
            actions.append(.withdraw(sequence: entry.sequence))
            counters.candidatesWithdrawn += 1
        }
        advertised.removeAll { !wanted.contains($0.address) }
        for candidate in locals where !advertised.contains(where: { $0.address == candidate.address }) {
            advertised.append((nextSequence, candidate.address))
            actions.append(.advertise(sequence: nextSequence, address: candidate.address))
            counters.candidatesAdvertised += 1
            nextSequence += 1
        }
    }

    private mutating func removeProbe(_ address: SocketAddress) -> Bool {
        guard let index = inFlight.firstIndex(where: { $0.address == address }) else { return false }
        inFlight.remove(at: index)
        return true
    }

    /// draft §6.3: a higher round cancels every path validation of the lower ones.
    private mutating func cancelAllProbes() {
        for probe in inFlight {
            actions.append(.cancelProbe(address: probe.address))
            counters.probesCancelled += 1
        }
        inFlight.removeAll()
    }

    private var currentPath: TraversalPath {
        if let direct { return .direct(remote: direct.remote, since: direct.since) }
        guard enabled else { return .relayed(.disabledLocally) }
        switch clientSupported {
        case nil: return .relayed(.negotiating)
        case false?: return .relayed(.peerLacksSupport)
        case true?: break
        }
        if advertised.isEmpty { return .relayed(.noLocalCandidates) }
        if directFailed { return .relayed(.directPathFailed) }
        if lastProbesFailed { return .relayed(.probesUnanswered) }
        return .relayed(.attempting)
    }

    private mutating func refreshPath(now: NIODeadline) {
        let path = currentPath
        if path != lastPath {
            lastPath = path
            lastChange = now
        }
    }
}
