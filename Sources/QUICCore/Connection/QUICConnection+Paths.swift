public import NIOCore
import QUICWire

/// Errors of the path API.
public enum QUICPathError: Error, Sendable, Hashable {
    /// Paths can be probed and used only once the handshake is confirmed (RFC 9000 §9).
    case notConfirmed
    /// Only the client migrates (RFC 9000 §9).
    case notAllowed
    /// The peer sent disable_active_migration (RFC 9000 §18.2).
    case migrationDisabledByPeer
    /// The path has not been validated (call `probePath` and wait for `.pathValidated`).
    case pathNotValidated
    /// A server that negotiated NAT traversal validates at most `probeConcurrencyLimit` candidate paths at once
    /// (draft-seemann-quic-nat-traversal-02): abandon one (`abandonPath`) or wait for its outcome.
    case probeLimitReached
}

extension QUICConnection {
    // MARK: - Public API

    /// Where the connection's packets go now.
    public var activePath: PathAddress { path.remote }

    /// The paths besides the active one that the connection tracks (probed, answered, or a fallback).
    public var otherPaths: [PathAddress] {
        var paths = Array(candidatePaths.keys)
        if let fallback = fallbackPath?.remote { paths.append(fallback) }
        return paths
    }

    /// The round-trip time of a path: the connection's estimate for the active path, the validation's
    /// measurement for another; nil without a sample.
    public func pathRTT(_ remote: PathAddress) -> TimeAmount? {
        if remote == path.remote { return recovery.rtt.hasSample ? recovery.rtt.smoothedRTT : nil }
        return (candidatePaths[remote]?.rtt ?? (fallbackPath?.remote == remote ? fallbackPath?.rtt : nil))?.smoothedRTT
    }

    /// Whether the peer proved it receives on `remote` (the active path or a probed one).
    public func isPathValidated(_ remote: PathAddress) -> Bool {
        if path.remote == remote { return path.isValidated }
        return candidatePaths[remote]?.isValidated ?? false
    }

    /// Starts validating `remote` with PATH_CHALLENGE frames sent from our socket (RFC 9000 §8.2), on the
    /// schedule of `QUICConfiguration.pathValidation`. Either side may probe — that is what NAT traversal needs
    /// (both send probes at once so each NAT opens a mapping); `.pathValidated` or `.pathFailed` follows.
    /// - Parameter maxUDPPayload: the largest UDP payload the path carries (a relayed path carries less).
    public mutating func probePath(_ remote: PathAddress, maxUDPPayload: Int? = nil, now: NIODeadline) throws(QUICPathError) {
        guard state == .established, handshakeConfirmed else { throw .notConfirmed }
        if remote != path.remote, candidatePaths[remote]?.isValidating != true, let limit = probeConcurrencyLimit,
           pathsBeingValidated >= limit {
            throw .probeLimitReached
        }
        if let maxUDPPayload { pathPayloadLimits[remote] = maxUDPPayload }
        if remote == path.remote {
            startValidation(&path, now: now)
            return
        }
        var candidate = candidatePaths[remote] ?? newPath(remote)
        candidate.probedByApplication = true
        if let maxUDPPayload { candidate.maxUDPPayload = maxUDPPayload }
        startValidation(&candidate, now: now)
        insertCandidate(candidate)
    }

    /// Stops validating a candidate path and forgets it — e.g. a later NAT traversal round cancels the probes of
    /// an earlier one — releasing the connection ID it used (RFC 9000 §9.5); no `.pathFailed` follows. The
    /// active path, and the fallback kept while a peer's new address validates (RFC 9000 §9.3.2), stay.
    public mutating func abandonPath(_ remote: PathAddress) {
        guard remote != path.remote, let removed = candidatePaths.removeValue(forKey: remote) else { return }
        releasePeerConnectionID(of: removed)
    }

    /// Candidate paths being validated now (what `probeConcurrencyLimit` bounds).
    var pathsBeingValidated: Int { candidatePaths.values.count(where: \.isValidating) }

    /// Sets the largest UDP payload for a path (e.g. what a relay route can carry); `maxDatagramPayload`
    /// follows for the active path, with a `.maxDatagramPayloadChanged` event.
    public mutating func setMaxUDPPayload(_ size: Int, for remote: PathAddress) {
        pathPayloadLimits[remote] = size
        if path.remote == remote { path.maxUDPPayload = size }
        candidatePaths[remote]?.maxUDPPayload = size
        if fallbackPath?.remote == remote { fallbackPath?.maxUDPPayload = size }
        reportMaxDatagramPayloadIfChanged()
    }

    /// Client: moves the connection to a validated path (RFC 9000 §9.2) — e.g. from the relayed path to a
    /// direct one found by NAT traversal, and back. The old path stays validated as a candidate, so moving
    /// back needs no new validation. Congestion control and RTT start afresh (§9.4). The server follows when
    /// our next non-probing packet arrives there (queue one with `sendPing` if nothing else is due).
    /// - Parameter abandoningCurrent: the current path is dead (the application's liveness check said so):
    ///   every packet in flight on it is declared lost at once and its frames go out again on the new path,
    ///   instead of waiting there for probe timeouts backed off by the old path's silence. DATAGRAM frames
    ///   among them are not resent (RFC 9221 §5.2) but counted as dropped. Without it, packets in flight on the
    ///   old path stay in flight (and count against the new path's congestion window) until acknowledged or lost.
    public mutating func migrate(to remote: PathAddress, abandoningCurrent: Bool = false,
                                 now: NIODeadline) throws(QUICPathError) {
        guard state == .established, handshakeConfirmed else { throw .notConfirmed }
        guard role == .client else { throw .notAllowed }
        if remote == path.remote { return }
        guard peerTransportParameters?.disableActiveMigration != true else { throw .migrationDisabledByPeer }
        guard let target = candidatePaths[remote], target.isValidated else { throw .pathNotValidated }
        candidatePaths[remote] = nil
        let previous = activePathWithItsRTT
        path = target
        candidatePaths[previous.remote] = previous
        // RFC 9000 §9.5: the new path keeps the ID its probes used (or takes a spare one), so observers cannot
        // link the two paths; the old path keeps its own ID. Without a spare the current one stays in use.
        switchConnectionIDForNewActivePath(keepingPreviousOn: previous.remote, drawingSpare: true)
        activePathChanged(abandoningInFlight: abandoningCurrent, now: now)
    }

    // MARK: - Liveness (the application's failure detection, DESIGN.md §6)

    /// The active path's liveness at `now`: oldest unacknowledged ack-eliciting packet, last ack-eliciting
    /// send, last receive, and the probe timeout without backoff.
    public func pathHealth(now: NIODeadline) -> PathHealthSnapshot {
        PathHealthSnapshot(
            path: path.remote, now: now,
            unacknowledgedSince: recovery.oldestAckElicitingInFlight(.applicationData),
            lastAckElicitingSent: path.lastAckElicitingSent, lastReceived: path.lastReceived,
            probeTimeout: recovery.rtt.probeTimeout(maxAckDelay: recovery.peerMaxAckDelay, includeMaxAckDelay: true))
    }

    /// Queues one PING on the active path (RFC 9000 §19.2) unless one is waiting already: its acknowledgement,
    /// or the lack of one, tells an application that only receives whether the path still works. It rides in
    /// the next packet with other frames when there are any; like any ack-eliciting packet, it waits for the
    /// congestion window.
    public mutating func sendPing() {
        guard state == .established else { return }
        pingPending = true
    }

    /// An authenticated packet arrived from `remote` (after the connection possibly followed the peer there).
    mutating func notePacketReceived(from remote: PathAddress, now: NIODeadline) {
        if remote == path.remote {
            path.lastReceived = now
        } else if candidatePaths[remote] != nil {
            candidatePaths[remote]!.lastReceived = now
        } else if fallbackPath?.remote == remote {
            fallbackPath!.lastReceived = now
        }
    }

    /// How many paths besides the active one a connection tracks: enough for NAT traversal's candidate pairs,
    /// bounded so that a peer probing from many addresses cannot grow the connection's state.
    static var maxCandidatePaths: Int { 16 }

    /// Adds or replaces a candidate path; at the bound, the least useful one (not validated, not probed by the
    /// application — else any unvalidated one) makes room, releasing its connection ID.
    mutating func insertCandidate(_ candidate: PathState) {
        if candidatePaths[candidate.remote] == nil, candidatePaths.count >= Self.maxCandidatePaths {
            let evicted = candidatePaths.first { !$0.value.isValidated && !$0.value.probedByApplication }
                ?? candidatePaths.first { !$0.value.isValidated } ?? candidatePaths.first
            if let evicted, let removed = candidatePaths.removeValue(forKey: evicted.key) {
                releasePeerConnectionID(of: removed)
            }
        }
        candidatePaths[candidate.remote] = candidate
    }

    /// The active path as it will be kept when the connection leaves it: with the connection's RTT estimate,
    /// so that coming back starts from it.
    private var activePathWithItsRTT: PathState {
        var current = path
        if recovery.rtt.hasSample { current.rtt = recovery.rtt }
        return current
    }

    // MARK: - Validation

    func newPath(_ remote: PathAddress) -> PathState {
        PathState(remote: remote, isValidated: false,
                  maxUDPPayload: pathPayloadLimits[remote] ?? configuration.newPathMaxUDPPayloadSize)
    }

    /// RFC 9000 §8.2.1: challenge now, retransmit on the policy's schedule, give up after the last timer.
    func startValidation(_ target: inout PathState, now: NIODeadline) {
        let policy = configuration.pathValidation
        target.challengePending = true
        target.challengesSent = 0
        target.outstandingChallenges = [:]
        target.retransmitAt = nil
        // The schedule (initial × (2^n − 1)), and never less than three PTOs (§8.2.4).
        let schedule = policy.initialRetransmit * Int64((1 << max(1, min(policy.maxTransmissions, 20))) - 1)
        let pto = recovery.rtt.probeTimeout(maxAckDelay: recovery.peerMaxAckDelay, includeMaxAckDelay: true)
        target.validationDeadline = now + max(schedule, pto * 3)
    }

    /// The next validation timer of any path.
    var pathValidationDeadline: NIODeadline? {
        var deadlines = candidatePaths.values.compactMap(\.nextDeadline)
        if let active = path.nextDeadline { deadlines.append(active) }
        return deadlines.min()
    }

    /// Retransmits due challenges and gives up on paths whose validation ran out (RFC 9000 §8.2.4).
    mutating func handlePathTimers(now: NIODeadline) {
        if path.retransmitAt.map({ $0 <= now }) ?? false { path.challengePending = true; path.retransmitAt = nil }
        for remote in Array(candidatePaths.keys) {
            if candidatePaths[remote]?.retransmitAt.map({ $0 <= now }) ?? false {
                candidatePaths[remote]?.challengePending = true
                candidatePaths[remote]?.retransmitAt = nil
            }
            if let deadline = candidatePaths[remote]?.validationDeadline, deadline <= now {
                // A candidate that failed validation is forgotten, with the connection ID it used.
                if let failed = candidatePaths.removeValue(forKey: remote) { releasePeerConnectionID(of: failed) }
                emit(.pathFailed(remote))
            }
        }
        if let deadline = path.validationDeadline, deadline <= now {
            let failed = path.remote
            path.validationDeadline = nil
            path.challengePending = false
            path.retransmitAt = nil
            if let fallback = fallbackPath {
                // RFC 9000 §9.3.2: the peer's new address did not validate: back to the old path.
                fallbackPath = nil
                path = fallback
                emit(.pathFailed(failed))
                activePathChanged(abandoningInFlight: false, now: now)
            } else if !path.isValidated {
                emit(.pathFailed(failed))
            }
        }
    }

    /// A PATH_CHALLENGE arrived from `remote`: answer on that same path (RFC 9000 §8.2.2).
    mutating func onPathChallenge(_ data: UInt64, from remote: PathAddress) {
        if remote == path.remote {
            path.pendingResponses.append(data)
        } else {
            // A path only the peer's bytes created (`accountReceived`) or none at all is new to us: report it
            // once, so NAT traversal can pair the address (RFC 8445 §7.2.5.3.1).
            let known = candidatePaths[remote]
            let isNew = fallbackPath?.remote != remote
                && (known == nil || (!known!.probedByApplication && !known!.isValidated && !known!.challengeReported))
            var candidate = known ?? newPath(remote)
            candidate.pendingResponses.append(data)
            if isNew { candidate.challengeReported = true }
            insertCandidate(candidate)
            if isNew { emit(.probeReceived(remote)) }
        }
    }

    /// A PATH_RESPONSE validates the path its challenge was sent on, wherever it arrives (RFC 9000 §8.2.3).
    /// The time since the challenge left is a round-trip sample of that path (no ACK delay: a response is
    /// sent at once, §8.2.2).
    mutating func onPathResponse(_ data: UInt64, now: NIODeadline) {
        if path.outstandingChallenges[data] != nil {
            markValidated(&path)
            // The path we followed the peer from stays known as a validated candidate (with its connection ID
            // and RTT): a peer that moves back to it — an agent falling back from a direct path to the relay —
            // is followed there without a new validation.
            if let fallback = fallbackPath, fallback.remote != path.remote { insertCandidate(fallback) }
            fallbackPath = nil
            emit(.pathValidated(path.remote))
            reportMaxDatagramPayloadIfChanged()
            return
        }
        for remote in candidatePaths.keys {
            guard var candidate = candidatePaths[remote], let sentAt = candidate.outstandingChallenges[data] else { continue }
            var estimator = candidate.rtt ?? RTTEstimator(initialRTT: configuration.initialRTT)
            estimator.update(latestRTT: now - sentAt, ackDelay: .zero, handshakeConfirmed: true)
            candidate.rtt = estimator
            markValidated(&candidate)
            candidatePaths[remote] = candidate
            emit(.pathValidated(remote))
            return
        }
        // A response to nothing we sent (or a late duplicate) is ignored.
    }

    private func markValidated(_ target: inout PathState) {
        target.isValidated = true
        target.outstandingChallenges = [:]
        target.challengePending = false
        target.retransmitAt = nil
        target.validationDeadline = nil
    }

    // MARK: - Receiving from another address

    /// Adds a datagram's bytes to the path it came on (anti-amplification, RFC 9000 §8.1, §9.3.1).
    mutating func accountReceived(_ bytes: Int, from remote: PathAddress) {
        if remote == path.remote {
            path.bytesReceived += bytes
        } else if candidatePaths[remote] != nil {
            candidatePaths[remote]!.bytesReceived += bytes
        } else if fallbackPath?.remote == remote {
            fallbackPath!.bytesReceived += bytes
        } else {
            var candidate = newPath(remote)
            candidate.bytesReceived = bytes
            insertCandidate(candidate)
        }
    }

    /// An authenticated 1-RTT packet came from an address other than the active path's. A non-probing packet
    /// with the highest packet number so far means the peer moved — its migration or a NAT rebinding (RFC 9000
    /// §9.3): we follow at once, validate the new path, and keep the old one as a fallback. Probing packets only
    /// get their answers (that is how NAT traversal probes arrive).
    ///
    /// Both sides follow. RFC 9000 §9 lets only clients migrate on purpose, but a server behind a NAT (our
    /// connectors, DESIGN.md §1) is rebound like any client; the client treats a new server address exactly as
    /// the server treats a new client address — validated before it is trusted, with a fallback.
    mutating func onPacketFromOtherAddress(_ remote: PathAddress, nonProbing: Bool, isLargest: Bool, now: NIODeadline) {
        // RFC 9000 §9: no migration before the handshake is confirmed.
        guard nonProbing, isLargest, handshakeConfirmed, remote != path.remote else { return }
        if role == .client {
            // The client chooses its own paths: it follows the server only to an address it never used — a
            // rebinding of the server's NAT — never back to a path it left (the server's packets still arrive
            // there until it follows our migration) nor to a relayed route.
            guard case .udp = remote, fallbackPath?.remote != remote else { return }
            if let known = candidatePaths[remote], known.isValidated || known.probedByApplication || known.isValidating {
                return
            }
        }
        var target = candidatePaths.removeValue(forKey: remote) ?? newPath(remote)
        if let fallback = fallbackPath, fallback.remote == remote { target = fallback }   // back where it was
        let previous = activePathWithItsRTT
        path = target
        if fallbackPath?.remote == remote { fallbackPath = nil }
        if !path.isValidated {
            fallbackPath = previous.isValidated ? previous : fallbackPath
            startValidation(&path, now: now)
        } else {
            candidatePaths[previous.remote] = previous
        }
        // A path we already answered probes on has its own connection ID: keep using it there, and the path
        // left keeps its own. Otherwise (a NAT rebinding) the current ID follows the peer, as RFC 9000 §9.5
        // allows for a change the peer did not make.
        switchConnectionIDForNewActivePath(keepingPreviousOn: previous.remote, drawingSpare: false)
        emit(.peerAddressChanged(remote))
        activePathChanged(abandoningInFlight: false, now: now)
    }

    /// RFC 9000 §9.4: a new path starts with fresh congestion control and RTT — except that a round trip
    /// measured on that very path by its validation is "knowledge that the round-trip time estimate is valid for
    /// the new path" and seeds the estimator. The datagram size may change.
    ///
    /// With `abandoningInFlight`, every application-space packet in flight — all sent on the path just left —
    /// is declared lost at once (before the new path's controller starts, so their loss does not shrink it) and
    /// its frames are queued again, through the same `requeueLost` as any loss. Otherwise the new path's
    /// window would be blocked by them until acknowledgements that may never come, and their eventual loss
    /// (after probe timeouts on the new path) would look like persistent congestion there (RFC 9002 §7.6).
    private mutating func activePathChanged(abandoningInFlight: Bool, now: NIODeadline) {
        if abandoningInFlight {
            // Only in-flight packets carry frames to resend; ACK-only packets and path probes are forgotten.
            requeueLost(recovery.abandonOutstanding(space: .applicationData).filter(\.inFlight), space: .applicationData)
        }
        recovery.resetForNewPath(rtt: path.rtt)
        path.rtt = nil
        emit(.activePathChanged(path.remote))
        reportMaxDatagramPayloadIfChanged()
        reportObservedAddressIfNeeded()
        updateLossTimer(now: now)
    }

    // MARK: - Sending probes

    /// A datagram carrying PATH_CHALLENGE / PATH_RESPONSE frames for a path that has some to send, padded to
    /// 1200 bytes where the path and its amplification limit allow (RFC 9000 §8.2.1, §8.2.2).
    mutating func pollProbeTransmit(now: NIODeadline) -> QUICTransmit? {
        guard spaces[.applicationData].canSend, state == .established || state == .handshaking else { return nil }
        // Each path is taken out while its probe is built (the builder needs the rest of the connection too).
        if path.hasProbeWork {
            var target = path
            let transmit = buildProbe(for: &target, now: now)
            path = target
            if let transmit { return transmit }
        }
        for remote in Array(candidatePaths.keys) where candidatePaths[remote]?.hasProbeWork ?? false {
            guard var target = candidatePaths.removeValue(forKey: remote) else { continue }
            let transmit = buildProbe(for: &target, now: now)
            candidatePaths[remote] = target
            if let transmit { return transmit }
        }
        return nil
    }

    private mutating func buildProbe(for target: inout PathState, now: NIODeadline) -> QUICTransmit? {
        let budget = target.probeBudget
        let exempt = target.probeIsExempt
        let isActive = target.remote == path.remote
        if !isActive { assignPeerConnectionID(to: &target) }
        let destinationConnectionID = isActive ? peerConnectionID : (target.peerConnectionID?.id ?? peerConnectionID)
        let overhead = 1 + destinationConnectionID.count + 4 + 16
        guard budget >= overhead + 9 + 4 else { return nil }   // blocked by the amplification limit
        var draft = PacketDraft(space: .applicationData)
        draft.isPathProbe = true
        while let data = target.pendingResponses.first, draft.payload.count + 9 <= budget - overhead {
            target.pendingResponses.removeFirst()
            Frame.pathResponse(data: data).encode(into: &draft.payload)
        }
        if target.challengePending, draft.payload.count + 9 <= budget - overhead {
            let data = random.next()
            Frame.pathChallenge(data: data).encode(into: &draft.payload)
            target.outstandingChallenges[data] = now
            target.challengePending = false
            target.challengesSent += 1
            let policy = configuration.pathValidation
            if target.challengesSent < policy.maxTransmissions {
                target.retransmitAt = now + policy.initialRetransmit * Int64(1 << min(target.challengesSent - 1, 20))
            }
        }
        guard !draft.payload.isEmpty else { return nil }
        // §8.2.1: expand to 1200 bytes (or what the path and the amplification limit allow).
        let padded = min(1200, budget) - overhead
        if draft.payload.count < padded {
            draft.payload.append(contentsOf: repeatElement(0, count: padded - draft.payload.count))
        }
        draft.isAckEliciting = true
        guard let transmit = serialize([draft], budget: budget, destination: target.remote,
                                       destinationConnectionID: destinationConnectionID, now: now) else { return nil }
        // A challenge the application asked for is bounded by the validation schedule, not by the amplification
        // limit; it does not eat into what the limit allows for our responses to the peer's probes there.
        if !exempt { target.bytesSent += transmit.payload.count }
        return transmit
    }
}
