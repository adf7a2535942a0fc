import NIOCore

// MARK: - ClientTraversal engine

/// The transitions behind the inputs of `ClientTraversal`: starting and concluding attempts, liveness
/// verdicts, retries, and the path the status reports.
extension ClientTraversal {
    // MARK: Advancing

    /// Runs everything due at `now`. Every input ends here, so outputs never wait for a timer that is due.
    mutating func advance(now: NIODeadline) {
        checkLiveness(now: now)
        if case .waiting(let until) = activity, now >= until {
            activity = .idle
            startAttemptIfPossible(now: now)
        }
        if case .attempting(var attempt) = activity {
            if let conclusion = attempt.advance(now: now, configuration: configuration, actions: &actions,
                                                counters: &counters) {
                lastRound = attempt.round
                conclude(conclusion, now: now)
            } else {
                activity = .attempting(attempt)
            }
        }
        refreshPath(now: now)
    }

    private mutating func checkLiveness(now: NIODeadline) {
        guard var current = direct else { return }
        switch current.liveness.evaluate(now: now, configuration: configuration) {
        case .healthy:
            direct = current
        case .sendKeepalive:
            direct = current
            actions.append(.keepalive)
            counters.keepalivesSent += 1
        case .failed:
            directPathFailed(now: now)
        }
    }

    /// DESIGN.md §6: a failed direct path makes the agent migrate back to the relayed path at once; QUIC
    /// retransmits whatever was in flight there. Retry after the backoff.
    mutating func directPathFailed(now: NIODeadline) {
        direct = nil
        actions.append(.fallBack(reason: .directPathFailed))
        counters.directPathFailures += 1
        failureReason = .directPathFailed
        pathChanges += 1
        if case .attempting(var attempt) = activity {
            attempt.cancelAll(actions: &actions, counters: &counters)
            lastRound = attempt.round
        }
        activity = .waiting(until: backoff.retryTime(after: now, configuration: configuration))
    }

    // MARK: Attempts

    /// Why no attempt can run now, or nil if one can.
    func blockingReason() -> RelayedReason? {
        guard enabled else { return .disabledLocally }
        switch peer {
        case .unknown: return .negotiating
        case .unavailable(let why): return why
        case .supported: break
        }
        if locals.isEmpty { return .noLocalCandidates }
        if remotes.isEmpty { return .noRemoteCandidates }
        if CandidatePair.form(locals: locals, remotes: remotes.forPairing).isEmpty { return .noCandidatePairs }
        return nil
    }

    /// Candidates or support changed: DESIGN.md §6 retries at once rather than waiting out the backoff. A
    /// running attempt and a direct path are left alone.
    mutating func candidatesChanged(now: NIODeadline) {
        if direct == nil {
            switch activity {
            case .idle, .waiting: startAttemptIfPossible(now: now)
            case .attempting: break
            }
        }
        advance(now: now)
    }

    /// A new remote candidate: a running attempt takes its pairs into the queue (by priority, no new
    /// round), otherwise it is a candidate change.
    mutating func remoteAdded(_ address: SocketAddress, now: NIODeadline) {
        guard case .attempting(var attempt) = activity else { return candidatesChanged(now: now) }
        let entry = remotes.forPairing.filter { $0.candidate.address == address }
        attempt.merge(CandidatePair.form(locals: locals, remotes: entry))
        activity = .attempting(attempt)
        advance(now: now)
    }

    private mutating func startAttemptIfPossible(now: NIODeadline) {
        guard blockingReason() == nil, case .supported(let limit) = peer else { return }
        let pairs = CandidatePair.form(locals: locals, remotes: remotes.forPairing)
        lastRound += 1
        activity = .attempting(TraversalAttempt(pairs: pairs, round: lastRound, limit: limit, now: now,
                                                configuration: configuration))
        counters.attemptsStarted += 1
        counters.roundsStarted += 1
    }

    private mutating func conclude(_ conclusion: TraversalAttempt.Conclusion, now: NIODeadline) {
        if conclusion == .succeeded, direct != nil {
            counters.attemptsSucceeded += 1
            activity = .idle
            return
        }
        counters.attemptsFailed += 1
        guard direct == nil else {
            activity = .idle
            return
        }
        // Probes unanswered; with a per-destination mapping that is the likelier explanation to report.
        let why: RelayedReason = mappingVaries ? .mappingVariesByDestination : .probesUnanswered
        failureReason = why
        actions.append(.fallBack(reason: why))
        activity = .waiting(until: backoff.retryTime(after: now, configuration: configuration))
    }

    /// The peer will not traverse: stop everything, and leave a direct path if one is active.
    mutating func stop(reason: RelayedReason, now: NIODeadline) {
        if case .attempting(var attempt) = activity {
            attempt.cancelAll(actions: &actions, counters: &counters)
            lastRound = attempt.round
        }
        activity = .idle
        if direct != nil {
            direct = nil
            actions.append(.fallBack(reason: reason))
            pathChanges += 1
        }
        advance(now: now)
    }

    mutating func markPathChange(now: NIODeadline) {
        pathChanges += 1
        refreshPath(now: now)
    }

    // MARK: Status

    /// The path as the status API reports it.
    var currentPath: TraversalPath {
        if let direct { return .direct(remote: direct.remote, since: direct.since) }
        switch activity {
        case .attempting: return .relayed(enabled ? .attempting : .disabledLocally)
        case .waiting: return .relayed(blockingReason() ?? failureReason ?? .probesUnanswered)
        case .idle: return .relayed(blockingReason() ?? failureReason ?? .probesUnanswered)
        }
    }

    private mutating func refreshPath(now: NIODeadline) {
        let path = currentPath
        if path != lastPath {
            lastPath = path
            lastChange = now
        }
    }
}
