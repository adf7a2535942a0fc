public import NIOCore
public import QUICWire

/// Errors of the NAT traversal API.
public enum QUICNATTraversalError: Error, Sendable, Hashable {
    /// Both sides must have sent the nat_traversal transport parameter (and the handshake must be confirmed).
    case notNegotiated
    /// The frame is the other role's to send: ADD_ADDRESS and REMOVE_ADDRESS the server's, PUNCH_ME_NOW the
    /// client's (draft-seemann-quic-nat-traversal-02 §4).
    case notAllowed
    /// No address we advertise has this sequence number.
    case unknownSequence
    /// A round lower than one already started: rounds only go up (a higher one cancels the lower ones).
    case staleRound
}

extension QUICConnection {
    // MARK: - Negotiation

    /// Both sides offered draft-seemann-quic-nat-traversal-02 (the nat_traversal transport parameter).
    public var isNATTraversalNegotiated: Bool { natTraversal.isNegotiated }

    /// Client: how many paths the server probes at once (its transport parameter); nil until negotiated.
    public var peerNATTraversalConcurrencyLimit: UInt64? { natTraversal.peerConcurrencyLimit }

    /// Server: how many candidate paths `probePath` validates at once (our transport parameter); nil when NAT
    /// traversal was not negotiated or we are the client (nothing bounds the client's probes but its policy).
    public var probeConcurrencyLimit: Int? {
        guard role == .server, natTraversal.isNegotiated else { return nil }
        return Int(clamping: max(1, configuration.natTraversalConcurrencyLimit))
    }

    /// The addresses we advertise, by sequence number (server).
    public var advertisedAddresses: [UInt64: FrameAddress] { natTraversal.advertised }

    /// Applies what the peer's transport parameters say about the extensions (called once they are known).
    mutating func negotiateTraversalExtensions(_ parameters: TransportParameters) {
        if configuration.offersNATTraversal, let peer = parameters.natTraversal {
            natTraversal.isNegotiated = true
            if case .server(let limit) = peer { natTraversal.peerConcurrencyLimit = limit }
        }
        if let mine = configuration.addressDiscovery, let theirs = parameters.addressDiscovery {
            natTraversal.sendsObservedAddresses = mine.provides && theirs.receives
            natTraversal.receivesObservedAddresses = mine.receives && theirs.provides
        }
    }

    // MARK: - Sending

    /// Server: advertises `address` as a candidate (ADD_ADDRESS), sent reliably; returns its sequence number.
    /// An address already advertised keeps its sequence number and is not sent again.
    @discardableResult
    public mutating func advertiseAddress(_ address: FrameAddress) throws(QUICNATTraversalError) -> UInt64 {
        try requireTraversal(sentBy: .server)
        if let existing = natTraversal.advertised.first(where: { $0.value == address }) { return existing.key }
        let sequence = natTraversal.nextAdvertisementSequence
        natTraversal.nextAdvertisementSequence += 1
        natTraversal.advertised[sequence] = address
        natTraversal.pending.append(.addAddress(AddAddressFrame(sequence: sequence, address: address)))
        return sequence
    }

    /// Server: withdraws an advertised address (REMOVE_ADDRESS), sent reliably.
    public mutating func withdrawAddress(sequence: UInt64) throws(QUICNATTraversalError) {
        try requireTraversal(sentBy: .server)
        guard natTraversal.advertised.removeValue(forKey: sequence) != nil else { throw .unknownSequence }
        // An ADD_ADDRESS for it still waiting to go out need not go at all; the REMOVE_ADDRESS still does, in
        // case an earlier transmission of the ADD_ADDRESS is on its way.
        natTraversal.pending.removeAll { if case .addAddress(let add) = $0 { return add.sequence == sequence }; return false }
        natTraversal.pending.append(.removeAddress(sequence: sequence))
    }

    /// Client: asks the server to probe our `address`, paired with its advertisement `pairedWith`, in `round`
    /// (PUNCH_ME_NOW), sent reliably while the round is the latest. Start our own `probePath` towards the
    /// server's address at the same time: both NATs open a mapping for the pair. A new round drops the
    /// unsent punches of older ones.
    public mutating func requestPunch(round: UInt64, pairedWith: UInt64,
                                      address: FrameAddress) throws(QUICNATTraversalError) {
        try requireTraversal(sentBy: .client)
        if let latest = natTraversal.latestRound {
            guard round >= latest else { throw .staleRound }
            if round > latest {
                natTraversal.pending.removeAll { if case .punchMeNow = $0 { return true }; return false }
            }
        }
        natTraversal.latestRound = round
        natTraversal.pending.append(.punchMeNow(PunchMeNowFrame(round: round, pairedWith: pairedWith, address: address)))
    }

    private func requireTraversal(sentBy sender: EndpointRole) throws(QUICNATTraversalError) {
        guard natTraversal.isNegotiated, handshakeConfirmed, state == .established else { throw .notNegotiated }
        guard role == sender else { throw .notAllowed }
    }

    /// Reports the active path's address to a peer that asked for observations (OBSERVED_ADDRESS), once per
    /// address: after the handshake is confirmed and whenever the active path changes (draft-ietf-quic-
    /// address-discovery §4: on each new path and after a rebinding). A relayed path has no IP address to report.
    mutating func reportObservedAddressIfNeeded() {
        guard natTraversal.sendsObservedAddresses, handshakeConfirmed, case .udp(let socket) = path.remote,
              let address = FrameAddress(socket), natTraversal.latestObservation?.address != address else { return }
        let sequence = natTraversal.nextObservationSequence
        natTraversal.nextObservationSequence += 1
        natTraversal.latestObservation = (sequence, address)
        natTraversal.pending.removeAll { if case .observedAddress = $0 { return true }; return false }
        natTraversal.pending.append(.observedAddress(ObservedAddressFrame(sequence: sequence, address: address)))
    }

    /// The next queued frame if it fits in `room` bytes (1-RTT packets only, docs/protocol.md).
    mutating func nextTraversalFrame(room: Int) -> Frame? {
        guard let frame = natTraversal.pending.first, frame.wireLength <= room else { return nil }
        natTraversal.pending.removeFirst()
        return frame
    }

    /// A packet carrying `frame` was declared lost: queue it again if it still says something.
    mutating func onTraversalFrameLost(_ frame: Frame) {
        guard natTraversal.isStillUseful(frame), !natTraversal.pending.contains(frame) else { return }
        natTraversal.pending.append(frame)
    }

    // MARK: - Receiving

    /// ADD_ADDRESS, PUNCH_ME_NOW, REMOVE_ADDRESS or OBSERVED_ADDRESS arrived in a 1-RTT packet.
    mutating func handleTraversalFrame(_ frame: Frame) throws(QUICWireError) {
        if case .observedAddress(let observed) = frame {
            try handleObservedAddress(observed, frameType: frame.frameType)
            return
        }
        // A frame of an extension we did not negotiate is an unknown frame type (RFC 9000 §12.4).
        guard natTraversal.isNegotiated else {
            throw QUICWireError(.frameEncodingError, frameType: frame.frameType, "NAT traversal was not negotiated")
        }
        let peerRole: EndpointRole = role == .client ? .server : .client
        guard frame.mayBeSent(by: peerRole) else {
            throw QUICWireError(.protocolViolation, frameType: frame.frameType, "NAT traversal frame from the \(peerRole)")
        }
        let limit = NATTraversalFrameState.peerEntryLimit
        switch frame {
        case .addAddress(let add):
            guard !natTraversal.peerAdvertisements.contains(add.sequence),
                  !natTraversal.peerWithdrawals.contains(add.sequence) else { return }   // a retransmission
            guard natTraversal.peerAdvertisements.count < limit else { statistics.natTraversalFramesIgnored += 1; return }
            natTraversal.peerAdvertisements.insert(add.sequence)
            emit(.addressAdvertised(sequence: add.sequence, address: add.address))
        case .removeAddress(let sequence):
            guard !natTraversal.peerWithdrawals.contains(sequence) else { return }
            guard natTraversal.peerWithdrawals.count < limit else { statistics.natTraversalFramesIgnored += 1; return }
            natTraversal.peerWithdrawals.insert(sequence)
            // Reported only for an address we heard of; an early REMOVE_ADDRESS keeps the late ADD_ADDRESS out.
            if natTraversal.peerAdvertisements.remove(sequence) != nil { emit(.addressWithdrawn(sequence: sequence)) }
        case .punchMeNow(let punch):
            if let round = natTraversal.peerRound {
                guard punch.round >= round else { return }                    // an older round: cancelled
                if punch.round > round { natTraversal.peerRoundPunches = [] }
            }
            natTraversal.peerRound = punch.round
            guard !natTraversal.peerRoundPunches.contains(punch) else { return }   // a retransmission
            guard natTraversal.peerRoundPunches.count < limit else { statistics.natTraversalFramesIgnored += 1; return }
            natTraversal.peerRoundPunches.insert(punch)
            emit(.punchRequested(punch))
        default:
            return
        }
    }

    /// draft-ietf-quic-address-discovery §4: only a peer we asked may send OBSERVED_ADDRESS; the newest
    /// sequence number wins.
    private mutating func handleObservedAddress(_ observed: ObservedAddressFrame,
                                                frameType: UInt64) throws(QUICWireError) {
        guard let mine = configuration.addressDiscovery else {
            throw QUICWireError(.frameEncodingError, frameType: frameType, "address discovery was not negotiated")
        }
        guard mine.receives else {
            throw QUICWireError(.protocolViolation, frameType: frameType, "OBSERVED_ADDRESS we did not ask for")
        }
        if let latest = natTraversal.latestObservedSequence, observed.sequence <= latest { return }
        natTraversal.latestObservedSequence = observed.sequence
        emit(.addressObserved(observed.address))
    }
}
