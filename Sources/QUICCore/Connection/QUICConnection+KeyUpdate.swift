public import NIOCore
import QUICCrypto
import QUICWire

extension QUICConnection {
    // MARK: - Key update (RFC 9001 §6)

    /// Updates and statistics of the 1-RTT key phases: (updates we initiated, updates the peer initiated).
    public var keyUpdates: (initiated: Int, responded: Int) { (keyPhases.initiated, keyPhases.responded) }

    /// The Key Phase bit we currently send.
    public var currentKeyPhase: Bool { keyPhases.phase }

    /// Starts a key update now if RFC 9001 §6.1 allows it (handshake confirmed, and a packet of the current
    /// phase acknowledged). Returns whether it started.
    @discardableResult
    public mutating func initiateKeyUpdate(now: NIODeadline) -> Bool {
        guard handshakeConfirmed, keyPhases.currentPhaseAcknowledged,
              keyPhases.nextSealer != nil, keyPhases.nextOpener != nil else { return false }
        switchKeyPhase(now: now, previousExpiry: nil)
        keyPhases.initiated += 1
        keyPhases.updateRequested = false
        emit(.keysUpdated(initiatedByPeer: false))
        return true
    }

    /// What `requestKeyUpdate(now:)` did.
    public enum KeyUpdateRequest: Sendable, Equatable {
        /// The update started: packets from now on carry the new Key Phase.
        case started
        /// Not allowed yet (handshake unconfirmed, or no packet of the current phase acknowledged); it starts
        /// as soon as it is, and `keyUpdates.initiated` then counts it.
        case pending
    }

    /// Asks for a key update: starts it now when RFC 9001 §6.1 allows, otherwise as soon as it does.
    @discardableResult
    public mutating func requestKeyUpdate(now: NIODeadline) -> KeyUpdateRequest {
        if initiateKeyUpdate(now: now) { return .started }
        keyPhases.updateRequested = true
        return .pending
    }

    /// Starts a requested update once it became allowed (after an acknowledgement or on confirmation).
    mutating func startRequestedKeyUpdate(now: NIODeadline) {
        if keyPhases.updateRequested { initiateKeyUpdate(now: now) }
    }

    /// Called when 1-RTT keys are installed: the next phase is derived right away.
    mutating func prepareNextKeyPhase() {
        keyPhases.prepareNext(sealer: spaces[.applicationData].sealer, opener: spaces[.applicationData].opener)
    }

    /// Chooses the receive keys for a 1-RTT packet by its Key Phase bit (RFC 9001 §6.3): the current keys,
    /// the previous ones for a reordered packet of the old phase, or the next ones for a peer's update.
    func opener(forKeyPhase bit: Bool, packetNumber: UInt64) -> (PacketProtector, isNextPhase: Bool)? {
        if bit == keyPhases.phase { return spaces[.applicationData].opener.map { ($0, false) } }
        if let previous = keyPhases.previousOpener,
           keyPhases.firstReceived.map({ packetNumber < $0 }) ?? true {
            return (previous, false)
        }
        return keyPhases.nextOpener.map { ($0, true) }
    }

    /// A packet authenticated with the next phase's keys: the peer updated, we follow (RFC 9001 §6.2).
    mutating func peerUpdatedKeys(firstPacketNumber: UInt64, now: NIODeadline) {
        let pto = recovery.rtt.probeTimeout(maxAckDelay: recovery.peerMaxAckDelay, includeMaxAckDelay: true)
        switchKeyPhase(now: now, previousExpiry: now + pto * 3)
        keyPhases.firstReceived = firstPacketNumber
        keyPhases.responded += 1
        emit(.keysUpdated(initiatedByPeer: true))
    }

    /// A packet of the current phase arrived.
    mutating func receivedInCurrentPhase(_ packetNumber: UInt64, now: NIODeadline) {
        if keyPhases.firstReceived == nil {
            keyPhases.firstReceived = packetNumber
            // The peer follows our update: the old receive keys are needed for three more PTOs at most.
            if keyPhases.previousOpener != nil, keyPhases.previousOpenerExpiry == nil {
                let pto = recovery.rtt.probeTimeout(maxAckDelay: recovery.peerMaxAckDelay, includeMaxAckDelay: true)
                keyPhases.previousOpenerExpiry = now + pto * 3
            }
        }
    }

    private mutating func switchKeyPhase(now: NIODeadline, previousExpiry: NIODeadline?) {
        keyPhases.previousOpener = spaces[.applicationData].opener
        keyPhases.previousOpenerExpiry = previousExpiry
        spaces[.applicationData].opener = keyPhases.nextOpener
        spaces[.applicationData].sealer = keyPhases.nextSealer
        keyPhases.phase.toggle()
        keyPhases.firstReceived = nil
        keyPhases.firstSent = nil
        keyPhases.currentPhaseAcknowledged = false
        keyPhases.packetsSentInPhase = 0
        prepareNextKeyPhase()
    }

    /// Bookkeeping for a 1-RTT packet we sent; initiates an update after `keyUpdateInterval` packets.
    mutating func sentOneRTTPacket(_ packetNumber: UInt64, now: NIODeadline) {
        if keyPhases.firstSent == nil { keyPhases.firstSent = packetNumber }
        keyPhases.packetsSentInPhase += 1
        if let interval = configuration.keyUpdateInterval, keyPhases.packetsSentInPhase >= interval {
            initiateKeyUpdate(now: now)
        }
    }

    /// An acknowledged 1-RTT packet: once one of the current phase is acknowledged, a new update may start.
    mutating func acknowledgedOneRTTPacket(_ packetNumber: UInt64) {
        if let first = keyPhases.firstSent, packetNumber >= first { keyPhases.currentPhaseAcknowledged = true }
    }

    /// Forgets the previous phase's receive keys once their time is up.
    mutating func expirePreviousKeys(now: NIODeadline) {
        if let expiry = keyPhases.previousOpenerExpiry, now >= expiry {
            keyPhases.previousOpener = nil
            keyPhases.previousOpenerExpiry = nil
        }
    }
}
