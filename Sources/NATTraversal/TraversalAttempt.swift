import NIOCore

// MARK: - TraversalAttempt

/// One NAT traversal attempt of the agent: rounds of PUNCH_ME_NOW over the candidate pairs in priority
/// order (draft-seemann-quic-nat-traversal-02 §6.3, DESIGN.md §6 "Probing schedule").
///
/// ```
///  start ──▶ launch a pair every 20 ms ──▶ round has `limit` punches ──▶ wait for its probes
///              ▲                                                             │ all concluded
///              └──────────── new, higher round (nothing left in flight) ◀────┘
///  any probe validated ──▶ no new rounds; finish this round for ≤ probingAfterSuccess
///  10 s after start, or nothing left to launch or wait for ──▶ concluded
/// ```
///
/// A round never carries more PUNCH_ME_NOW frames than the concurrency limit (the draft's §6.3 rule), and a
/// new round only begins when the previous one has nothing in flight, so the connector's "a higher round
/// cancels lower ones" never cuts a running probe short. Probes are keyed by remote address, the key QUIC
/// paths use on a single socket; pairs that share a remote share its probe.
struct TraversalAttempt: Hashable, Sendable {
    struct InFlight: Hashable, Sendable {
        var remote: SocketAddress
        var timer: ProbeTimer
    }

    enum Conclusion: Hashable {
        case succeeded
        case failed
    }

    let startedAt: NIODeadline
    let deadline: NIODeadline
    let limit: Int
    /// The round of the latest PUNCH_ME_NOW frames.
    private(set) var round: UInt64
    private(set) var punchesInRound = 0
    /// Pairs not launched yet, highest priority first.
    private(set) var pending: [CandidatePair]
    /// Probes in flight, in launch order (deterministic iteration).
    private(set) var inFlight: [InFlight] = []
    private(set) var nextLaunch: NIODeadline
    /// When the first pair of this attempt validated.
    private(set) var firstSuccess: NIODeadline?

    init(pairs: [CandidatePair], round: UInt64, limit: Int, now: NIODeadline, configuration: TraversalConfiguration) {
        startedAt = now
        deadline = now + configuration.attemptTimeout
        self.limit = max(limit, 1)
        self.round = round
        pending = Self.pruned(pairs)
        nextLaunch = now
    }

    /// A peer-reflexive remote needs one probe, not one per local candidate: keep its best pair.
    private static func pruned(_ pairs: [CandidatePair]) -> [CandidatePair] {
        var reflexive = Set<SocketAddress>()
        return pairs.filter { $0.remoteSequence != nil || reflexive.insert($0.remote.address).inserted }
    }

    func isProbing(_ remote: SocketAddress) -> Bool { inFlight.contains { $0.remote == remote } }

    // MARK: Launch plan

    private enum Launch {
        case probe
        case punch(newRound: Bool, newProbe: Bool)
    }

    /// What launching `pending.first` would do now (ignoring pacing), or nil when it must wait.
    private func plan() -> Launch? {
        guard let next = pending.first else { return nil }
        let probing = isProbing(next.remote.address)
        if next.remoteSequence == nil {
            return firstSuccess == nil && (probing || inFlight.count < limit) ? .probe : nil
        }
        if punchesInRound >= limit {
            // The round is spent: a new one may begin only before any success and once nothing is in flight.
            return firstSuccess == nil && inFlight.isEmpty ? .punch(newRound: true, newProbe: true) : nil
        }
        if probing { return .punch(newRound: false, newProbe: false) }
        return inFlight.count < limit ? .punch(newRound: false, newProbe: true) : nil
    }

    /// Whether anything may still be launched in this attempt (now or after probes conclude).
    private var canLaunchMore: Bool {
        guard let next = pending.first else { return false }
        if firstSuccess == nil { return true }
        return next.remoteSequence != nil && punchesInRound < limit
    }

    // MARK: Timers

    func nextDeadline(configuration: TraversalConfiguration) -> NIODeadline {
        var next = deadline
        if let firstSuccess { next = min(next, firstSuccess + configuration.probingAfterSuccess) }
        for probe in inFlight { next = min(next, probe.timer.deadline) }
        if plan() != nil { next = min(next, nextLaunch) }
        return next
    }

    /// Runs everything due at `now`; returns a conclusion when the attempt is over (its probes cancelled).
    mutating func advance(now: NIODeadline, configuration: TraversalConfiguration,
                          actions: inout CircularBuffer<ClientTraversalAction>,
                          counters: inout ClientTraversalCounters) -> Conclusion? {
        let graceOver = firstSuccess.map { now >= $0 + configuration.probingAfterSuccess } ?? false
        if now >= deadline || graceOver {
            cancelAll(actions: &actions, counters: &counters)
            return firstSuccess == nil ? .failed : .succeeded
        }
        expireProbes(now: now, configuration: configuration, actions: &actions, counters: &counters)
        launchIfDue(now: now, configuration: configuration, actions: &actions, counters: &counters)
        guard inFlight.isEmpty, !canLaunchMore else { return nil }
        return firstSuccess == nil ? .failed : .succeeded
    }

    private mutating func expireProbes(now: NIODeadline, configuration: TraversalConfiguration,
                                       actions: inout CircularBuffer<ClientTraversalAction>,
                                       counters: inout ClientTraversalCounters) {
        var index = 0
        while index < inFlight.count {
            guard now >= inFlight[index].timer.deadline else { index += 1; continue }
            switch inFlight[index].timer.expire(now: now, configuration: configuration) {
            case .retransmit:
                actions.append(.reprobe(remote: inFlight[index].remote))
                counters.probesRetransmitted += 1
            case .failed:
                actions.append(.cancelProbe(remote: inFlight[index].remote))
                counters.probesFailed += 1
                inFlight.remove(at: index)
            }
        }
    }

    /// At most one launch per pacing interval (RFC 8445 §6.1.4.2's Ta, 20 ms by DESIGN.md §6).
    private mutating func launchIfDue(now: NIODeadline, configuration: TraversalConfiguration,
                                      actions: inout CircularBuffer<ClientTraversalAction>,
                                      counters: inout ClientTraversalCounters) {
        guard now >= nextLaunch, let launch = plan() else { return }
        let pair = pending.removeFirst()
        let remote = pair.remote.address
        switch launch {
        case .probe:
            if !isProbing(remote) {
                inFlight.append(InFlight(remote: remote, timer: ProbeTimer(now: now, configuration: configuration)))
                actions.append(.probe(remote: remote))
                counters.probesStarted += 1
            }
        case .punch(let newRound, let newProbe):
            if newRound {
                round += 1
                punchesInRound = 0
                counters.roundsStarted += 1
            }
            if newProbe {
                inFlight.append(InFlight(remote: remote, timer: ProbeTimer(now: now, configuration: configuration)))
                counters.probesStarted += 1
            }
            punchesInRound += 1
            counters.punchesSent += 1
            actions.append(.punch(round: round, pairedWith: pair.remoteSequence ?? 0, local: pair.local.address,
                                  remote: remote))
        }
        nextLaunch = now + configuration.pacingInterval
    }

    // MARK: Inputs

    /// A probe validated; false if nothing was probing `remote`.
    mutating func probeSucceeded(remote: SocketAddress, now: NIODeadline) -> Bool {
        guard let index = inFlight.firstIndex(where: { $0.remote == remote }) else { return false }
        inFlight.remove(at: index)
        // The remote answers: its other pairs would only probe it again.
        pending.removeAll { $0.remote.address == remote }
        if firstSuccess == nil { firstSuccess = now }
        return true
    }

    /// The glue's engine gave up on a probe; false if nothing was probing `remote`.
    mutating func probeFailed(remote: SocketAddress) -> Bool {
        guard let index = inFlight.firstIndex(where: { $0.remote == remote }) else { return false }
        inFlight.remove(at: index)
        return true
    }

    /// New pairs (a new remote candidate): merged into `pending` by priority, after equal ones.
    mutating func merge(_ pairs: [CandidatePair]) {
        for pair in Self.pruned(pairs) where !isProbing(pair.remote.address) || pair.remoteSequence != nil {
            let index = pending.firstIndex { $0.priority < pair.priority } ?? pending.endIndex
            pending.insert(pair, at: index)
        }
    }

    /// A remote candidate went away: forget its pairs and stop probing it.
    mutating func removeRemote(_ remote: SocketAddress, actions: inout CircularBuffer<ClientTraversalAction>,
                               counters: inout ClientTraversalCounters) {
        pending.removeAll { $0.remote.address == remote }
        guard let index = inFlight.firstIndex(where: { $0.remote == remote }) else { return }
        inFlight.remove(at: index)
        actions.append(.cancelProbe(remote: remote))
        counters.probesCancelled += 1
    }

    /// Ends the attempt early: every probe in flight is cancelled.
    mutating func cancelAll(actions: inout CircularBuffer<ClientTraversalAction>,
                            counters: inout ClientTraversalCounters) {
        for probe in inFlight {
            actions.append(.cancelProbe(remote: probe.remote))
            counters.probesCancelled += 1
        }
        inFlight.removeAll()
        pending.removeAll()
    }
}
