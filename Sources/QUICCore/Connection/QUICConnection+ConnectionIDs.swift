public import NIOCore
import QUICCrypto
import QUICWire

/// Connection IDs (RFC 9000 §5.1): issuing ours, rotating them, and using and retiring the peer's.
///
/// Rules, in short:
/// - We keep `min(peer's active_connection_id_limit, our limit, 8)` of our IDs active at the peer (§5.1.1).
/// - Every `connectionIDRotationInterval` a connection in use gets a fresh set whose NEW_CONNECTION_ID frames
///   carry Retire Prior To = the first new sequence number, so the peer must switch (§5.1.2). The old IDs stay
///   routed until the peer retires them; no further rotation starts before that, which bounds the routing
///   table to twice the set.
/// - When the peer raises its Retire Prior To we switch to its lowest valid ID and retire the old ones; a new
///   path takes an unused peer ID (§9.5). The stateless reset token follows the ID in use (§10.3.1).
extension QUICConnection {
    // MARK: - Getters

    /// Our issued IDs and the peer's, with sequence numbers.
    public var activeConnectionIDs: ActiveConnectionIDs {
        ActiveConnectionIDs(
            local: localConnectionIDs.sorted { $0.key < $1.key }
                .map { ActiveConnectionIDs.Entry(sequence: $0.key, id: $0.value) },
            localRetirePriorTo: connectionIDState.retirePriorTo,
            peer: ActiveConnectionIDs.Entry(sequence: peerConnectionIDSequence, id: peerConnectionID),
            peerSpare: peerConnectionIDs.sorted { $0.key < $1.key }
                .map { ActiveConnectionIDs.Entry(sequence: $0.key, id: $0.value.id) },
            peerRetirePriorTo: peerRetirePriorTo)
    }

    /// How many times our connection IDs were rotated (a fresh set with an increased Retire Prior To).
    public var connectionIDRotations: Int { connectionIDState.rotations }

    /// When the rotation timer fires (part of `pollTimeout()`).
    var connectionIDRotationDeadline: NIODeadline? { connectionIDState.rotationDeadline }

    /// RFC 9000 §5.1: an endpoint using zero-length connection IDs issues no others.
    private var usesZeroLengthConnectionIDs: Bool {
        localTransportParameters.initialSourceConnectionID?.isEmpty ?? true
    }

    /// Whether IDs of an earlier set still wait for the peer's RETIRE_CONNECTION_ID.
    private var hasRotatedOutConnectionIDs: Bool {
        localConnectionIDs.keys.contains { $0 < connectionIDState.retirePriorTo }
    }

    // MARK: - Issuing (RFC 9000 §5.1.1)

    /// At handshake completion: give the peer spare IDs and arm the rotation timer.
    mutating func startIssuingConnectionIDs(now: NIODeadline) {
        issueConnectionIDs()
        if let interval = configuration.connectionIDRotationInterval, !usesZeroLengthConnectionIDs {
            connectionIDState.rotationDeadline = now + interval
        }
    }

    /// Tops our active IDs (those not rotated out) up to the peer's active_connection_id_limit, capped by our
    /// own limit and 8; each new one is routed at once and announced with NEW_CONNECTION_ID.
    mutating func issueConnectionIDs() {
        guard handshakeComplete, !usesZeroLengthConnectionIDs else { return }
        let peerLimit = peerTransportParameters?.activeConnectionIDLimit ?? 2
        let target = Int(min(peerLimit, configuration.activeConnectionIDLimit, 8))
        var active = localConnectionIDs.keys.count { $0 >= connectionIDState.retirePriorTo }
        while active < target {
            guard let id = ConnectionID(random.bytes(configuration.connectionIDLength)) else { return }
            let sequence = nextLocalConnectionIDSequence
            nextLocalConnectionIDSequence += 1
            localConnectionIDs[sequence] = id
            pendingNewConnectionIDs.append(sequence)
            routingChanges.append((add: true, id: id))
            active += 1
        }
    }

    /// The NEW_CONNECTION_ID frame for one of our IDs, built when it is sent so that a retransmission carries
    /// the current Retire Prior To; nil once the peer retired the ID.
    func newConnectionIDFrame(sequence: UInt64) -> NewConnectionIDFrame? {
        guard let id = localConnectionIDs[sequence],
              let token = StatelessResetToken(resetTokens.token(for: id.bytes)) else { return nil }
        // RFC 9000 §19.15: Retire Prior To may not exceed the frame's sequence number. An ID of an older set
        // that the peer never received goes out with its own number and is retired by the peer on arrival.
        return NewConnectionIDFrame(sequence: sequence, retirePriorTo: min(connectionIDState.retirePriorTo, sequence),
                                    connectionID: id, statelessResetToken: token)
    }

    // MARK: - Rotation (RFC 9000 §5.1.2)

    /// Issues a fresh set of connection IDs and asks the peer to retire every older one, so its packets switch
    /// to a new Destination Connection ID. Returns false (and does nothing) before the handshake is confirmed,
    /// with zero-length IDs, or while IDs of the previous rotation are still waiting to be retired.
    /// Happens by itself every `connectionIDRotationInterval`.
    @discardableResult
    public mutating func rotateConnectionIDs(now: NIODeadline) -> Bool {
        guard state == .established, handshakeConfirmed, !usesZeroLengthConnectionIDs,
              !hasRotatedOutConnectionIDs else { return false }
        connectionIDState.retirePriorTo = nextLocalConnectionIDSequence
        issueConnectionIDs()
        connectionIDState.rotations += 1
        connectionIDState.rotationOwed = false
        if let interval = configuration.connectionIDRotationInterval {
            connectionIDState.rotationDeadline = now + interval
        }
        return true
    }

    /// The rotation timer (called from `handleTimeout(now:)`).
    mutating func handleConnectionIDTimer(now: NIODeadline) {
        guard let deadline = connectionIDState.rotationDeadline, now >= deadline else { return }
        guard let interval = configuration.connectionIDRotationInterval else {
            connectionIDState.rotationDeadline = nil
            return
        }
        if hasRotatedOutConnectionIDs {
            // The peer has not retired the previous set yet: rotate as soon as it has (handleRetireConnectionID).
            connectionIDState.rotationDeadline = nil
            connectionIDState.rotationOwed = true
            return
        }
        // A connection that received nothing in the second half of the interval is idle: with no packets there
        // is nothing to link, and the rotation's own round trip would keep it alive past its idle timeout.
        let inUse = lastActivity >= deadline - .nanoseconds(interval.nanoseconds / 2)
        if !inUse || !rotateConnectionIDs(now: now) {
            connectionIDState.rotationDeadline = now + interval
        }
    }

    // MARK: - The peer's connection IDs

    /// Switches the Destination Connection ID to one the peer issued and we never used, and retires the one
    /// in use, so that packets on a new path cannot be linked to the old one (RFC 9000 §9.5). The stateless
    /// reset token follows. Returns false, changing nothing, when the peer provided no spare ID.
    public mutating func usePeerConnectionIDForNewPath() -> Bool {
        guard state == .established, let next = peerConnectionIDs.keys.min() else { return false }
        let previous = peerConnectionIDSequence
        switchPeerConnectionID(to: next)
        if previous >= peerRetirePriorTo { connectionIDState.retiredPeerSequences.insert(previous) }
        queueRetirement(of: previous)
        return true
    }

    /// Makes a spare peer ID the one we send to, with its stateless reset token (RFC 9000 §10.3.1).
    private mutating func switchPeerConnectionID(to sequence: UInt64) {
        guard let entry = peerConnectionIDs.removeValue(forKey: sequence) else { return }
        peerConnectionID = entry.id
        peerConnectionIDSequence = sequence
        peerStatelessResetToken = entry.token
        // The short header's length depends on the ID's.
        reportMaxDatagramPayloadIfChanged()
    }

    // MARK: - Connection IDs of other paths (RFC 9000 §9.5)

    /// The peer's IDs held by paths other than the active one.
    var pathPeerConnectionIDs: [PeerConnectionID] {
        var held = candidatePaths.values.compactMap(\.peerConnectionID)
        if let fallback = fallbackPath?.peerConnectionID { held.append(fallback) }
        return held
    }

    /// Gives a path other than the active one an ID of its own before anything is sent on it, so the paths
    /// cannot be linked (RFC 9000 §9.5). With no spare ID the path shares the active one (RFC 9000 §9.5 then
    /// forbids probing; we prefer a linkable probe to no direct path — documented in docs/quic.md).
    mutating func assignPeerConnectionID(to target: inout PathState) {
        guard target.peerConnectionID == nil, !peerConnectionID.isEmpty,
              let sequence = peerConnectionIDs.keys.min(),
              let entry = peerConnectionIDs.removeValue(forKey: sequence) else { return }
        target.peerConnectionID = PeerConnectionID(id: entry.id, sequence: sequence, token: entry.token)
    }

    /// A path is forgotten: the ID it used is retired, never to be used on another path.
    mutating func releasePeerConnectionID(of target: PathState) {
        if let held = target.peerConnectionID { retirePeerConnectionID(held.sequence) }
    }

    /// The active path changed to `path` (already in place) from the path now kept at `previousRemote` (a
    /// candidate or the fallback). The new active path uses its own ID if it has one — or, with `drawingSpare`,
    /// a spare the peer issued — and the previous ID goes with the previous path instead of being retired:
    /// packets still in flight there carry it and must stay routable at the peer (a relayed path is slower than
    /// a direct one), and going back to that path needs it again. RFC 9000 §9.5 asks for a distinct ID per
    /// path, which this keeps. Without an ID to switch to, the current one stays in use.
    mutating func switchConnectionIDForNewActivePath(keepingPreviousOn previousRemote: PathAddress, drawingSpare: Bool) {
        let previous = PeerConnectionID(id: peerConnectionID, sequence: peerConnectionIDSequence,
                                        token: peerStatelessResetToken)
        if let held = path.peerConnectionID {
            path.peerConnectionID = nil
            peerConnectionID = held.id
            peerConnectionIDSequence = held.sequence
            peerStatelessResetToken = held.token
            reportMaxDatagramPayloadIfChanged()
        } else if drawingSpare, state == .established, let next = peerConnectionIDs.keys.min() {
            switchPeerConnectionID(to: next)
        } else {
            return
        }
        if candidatePaths[previousRemote] != nil, candidatePaths[previousRemote]?.peerConnectionID == nil {
            candidatePaths[previousRemote]?.peerConnectionID = previous
        } else if fallbackPath?.remote == previousRemote, fallbackPath?.peerConnectionID == nil {
            fallbackPath?.peerConnectionID = previous
        } else {
            retirePeerConnectionID(previous.sequence)
        }
    }

    /// Retires one of the peer's IDs on our own initiative.
    private mutating func retirePeerConnectionID(_ sequence: UInt64) {
        if sequence >= peerRetirePriorTo { connectionIDState.retiredPeerSequences.insert(sequence) }
        queueRetirement(of: sequence)
    }

    /// The peer's Retire Prior To rose: paths holding older IDs give them up (and draw fresh ones when next used).
    private mutating func releasePathConnectionIDs(below retirePriorTo: UInt64) {
        for remote in Array(candidatePaths.keys) {
            if let held = candidatePaths[remote]?.peerConnectionID, held.sequence < retirePriorTo {
                candidatePaths[remote]?.peerConnectionID = nil
                queueRetirement(of: held.sequence)
            }
        }
        if let held = fallbackPath?.peerConnectionID, held.sequence < retirePriorTo {
            fallbackPath?.peerConnectionID = nil
            queueRetirement(of: held.sequence)
        }
    }

    private mutating func queueRetirement(of sequence: UInt64) {
        if !pendingRetireConnectionIDs.contains(sequence) { pendingRetireConnectionIDs.append(sequence) }
    }

    // MARK: - Frames

    /// RFC 9000 §19.15: store the peer's new connection IDs and honour its Retire Prior To (§5.1.2).
    mutating func handleNewConnectionID(_ frame: NewConnectionIDFrame) throws(QUICWireError) {
        let type = FrameType.newConnectionID
        guard !peerConnectionID.isEmpty else {
            throw QUICWireError(.protocolViolation, frameType: type, "NEW_CONNECTION_ID with zero-length IDs")
        }
        // §19.15: a sequence number names one connection ID (and token) for good, and an ID has one number.
        let held = pathPeerConnectionIDs
        if frame.sequence == peerConnectionIDSequence {
            guard frame.connectionID == peerConnectionID else {
                throw QUICWireError(.protocolViolation, frameType: type, "sequence number reused for another ID")
            }
        } else if let path = held.first(where: { $0.sequence == frame.sequence }) {
            guard path.id == frame.connectionID, path.token == frame.statelessResetToken else {
                throw QUICWireError(.protocolViolation, frameType: type, "sequence number reused for another ID")
            }
        } else if let known = peerConnectionIDs[frame.sequence] {
            guard known.id == frame.connectionID, known.token == frame.statelessResetToken else {
                throw QUICWireError(.protocolViolation, frameType: type, "sequence number reused for another ID")
            }
        } else if frame.sequence < peerRetirePriorTo {
            queueRetirement(of: frame.sequence)      // §19.15: below Retire Prior To: retired on arrival
        } else if !connectionIDState.retiredPeerSequences.contains(frame.sequence) {
            guard frame.connectionID != peerConnectionID,
                  !peerConnectionIDs.values.contains(where: { $0.id == frame.connectionID }),
                  !held.contains(where: { $0.id == frame.connectionID }) else {
                throw QUICWireError(.protocolViolation, frameType: type, "connection ID issued twice")
            }
            peerConnectionIDs[frame.sequence] = (frame.connectionID, frame.statelessResetToken)
        }
        if frame.retirePriorTo > peerRetirePriorTo {
            peerRetirePriorTo = frame.retirePriorTo
            for sequence in Array(peerConnectionIDs.keys) where sequence < frame.retirePriorTo {
                peerConnectionIDs[sequence] = nil
                queueRetirement(of: sequence)
            }
            connectionIDState.retiredPeerSequences = connectionIDState.retiredPeerSequences.filter {
                $0 >= frame.retirePriorTo
            }
            releasePathConnectionIDs(below: frame.retirePriorTo)
        }
        // §5.1.2: the ID in use is below Retire Prior To: move to the lowest valid one, retire the old. (Should
        // the peer have left us none yet, we keep sending with it until one arrives.)
        if peerConnectionIDSequence < peerRetirePriorTo, let next = peerConnectionIDs.keys.min() {
            queueRetirement(of: peerConnectionIDSequence)
            switchPeerConnectionID(to: next)
        }
        // §5.1.1: more active IDs than our active_connection_id_limit.
        if UInt64(peerConnectionIDs.count + 1 + pathPeerConnectionIDs.count) > configuration.activeConnectionIDLimit {
            throw QUICWireError(.connectionIDLimitError, frameType: type, "more than active_connection_id_limit IDs")
        }
        // §5.1.2: retirements not yet sent are bounded (at least twice the limit must be allowed).
        let retirementLimit = max(8, 2 * Int(clamping: min(configuration.activeConnectionIDLimit, 1 << 20)))
        if pendingRetireConnectionIDs.count > retirementLimit {
            throw QUICWireError(.connectionIDLimitError, frameType: type, "too many connection IDs to retire")
        }
    }

    /// RFC 9000 §19.16: the peer no longer uses one of our connection IDs; it stops being routed, and a
    /// replacement is issued unless it was rotated out.
    mutating func handleRetireConnectionID(_ sequence: UInt64, now: NIODeadline) throws(QUICWireError) {
        let type = FrameType.retireConnectionID
        guard !usesZeroLengthConnectionIDs else {
            throw QUICWireError(.protocolViolation, frameType: type, "RETIRE_CONNECTION_ID for zero-length IDs")
        }
        guard sequence < nextLocalConnectionIDSequence else {
            throw QUICWireError(.protocolViolation, frameType: type, "retiring a connection ID never issued")
        }
        guard let id = localConnectionIDs.removeValue(forKey: sequence) else { return }   // retired before
        routingChanges.append((add: false, id: id))
        issueConnectionIDs()
        if connectionIDState.rotationOwed, !hasRotatedOutConnectionIDs, !rotateConnectionIDs(now: now) {
            connectionIDState.rotationOwed = false
            if let interval = configuration.connectionIDRotationInterval {
                connectionIDState.rotationDeadline = now + interval
            }
        }
    }
}
