public import NIOCore
import QUICCrypto
public import QUICWire

/// The frames chosen for one packet before it is serialized and sealed.
struct PacketDraft {
    let space: PacketNumberSpace
    var payload: [UInt8] = []
    var frames: [RetransmittableFrame] = []
    var isAckEliciting = false
    var hasPadding = false
    var largestAcknowledgedInAck: UInt64?
    var carriesAck = false
    /// A path-validation datagram: not counted in flight, never retransmitted (RFC 9000 §8.2, §13.3).
    var isPathProbe = false
}

extension QUICConnection {
    /// RFC 9000 §14.1: the smallest datagram that may carry a client Initial (and an ack-eliciting server Initial).
    static let minimumInitialDatagramSize = 1200

    /// The next datagram to send, or nil when there is nothing to send now (see `pollTimeout()`).
    /// Coalesces Initial, Handshake and 1-RTT packets (RFC 9000 §12.2).
    public mutating func pollTransmit(now: NIODeadline) -> QUICTransmit? {
        switch state {
        case .closed, .draining:
            return nil
        case .closing:
            guard closeFramePending else { return nil }
            closeFramePending = false
            return buildClosingDatagram(now: now)
        case .handshaking, .established:
            break
        }
        if let probe = pollProbeTransmit(now: now) { return probe }
        let maxSize = min(path.maxUDPPayload, Int(clamping: peerTransportParameters?.maxUDPPayloadSize ?? 65527))
        let budget = min(maxSize, path.amplificationBudget)
        guard budget >= 64 else { return nil }   // RFC 9000 §8.1: anti-amplification limit reached

        let probing = PacketNumberSpace.allCases.contains { spaces[$0].probesPending > 0 }
        var mayElicit = probing || recovery.congestionAllows(bytes: maxSize)
        if mayElicit && !probing, let next = recovery.pacingDelay(now: now), next > now {
            pacingDeadline = next
            mayElicit = false
        }

        var drafts: [PacketDraft] = []
        var used = 0
        for space in PacketNumberSpace.allCases where spaces[space].canSend {
            let overhead = headerOverhead(space)
            let room = budget - used - overhead
            guard room > 8 else { break }
            if let draft = buildDraft(space: space, room: room, mayElicit: mayElicit, now: now) {
                used += overhead + draft.payload.count
                drafts.append(draft)
            }
        }
        // RFC 9002 §7.8: when the window had room but nothing (more) to send, the flow is application-limited.
        // Limited by the window (or pacing) means not application-limited; running out of data with less than
        // half the window in flight means it is.
        if !mayElicit && !probing {
            recovery.isApplicationLimited = false
        } else if !drafts.contains(where: \.isAckEliciting) {
            recovery.isApplicationLimited = recovery.bytesInFlight < recovery.congestion.congestionWindow / 2
        }
        guard !drafts.isEmpty, let transmit = serialize(drafts, budget: budget, destination: path.remote, now: now) else {
            return nil
        }
        path.bytesSent += transmit.payload.count
        if drafts.contains(where: \.isAckEliciting) { path.lastAckElicitingSent = now }
        return transmit
    }

    /// Bytes a packet of this space adds around its frames: header, largest packet number, AEAD tag.
    private func headerOverhead(_ space: PacketNumberSpace) -> Int {
        switch space {
        case .applicationData:
            return 1 + peerConnectionID.count + 4 + 16
        case .initial, .handshake:
            var size = 1 + 4 + 1 + peerConnectionID.count + 1 + (localConnectionIDs[0]?.count ?? 0) + 2 + 4 + 16
            if space == .initial { size += VarInt.encodedLength(of: UInt64(retryToken.count)) + retryToken.count }
            return size
        }
    }

    // MARK: - Choosing frames

    private mutating func buildDraft(space: PacketNumberSpace, room: Int, mayElicit: Bool,
                                     now: NIODeadline) -> PacketDraft? {
        var draft = PacketDraft(space: space)
        draft.payload.reserveCapacity(room)
        let ackDue = spaces[space].received.ackDue(now: now)
        if spaces[space].received.hasNewPackets,
           let ack = spaces[space].received.makeAck(now: now, ackDelayExponent: configuration.ackDelayExponent) {
            let frame = Frame.ack(AckFrame(ranges: ack.ranges, ackDelay: ack.ackDelay))
            if frame.wireLength <= room, ackDue || !crowdsOutNextDatagram(ackLength: frame.wireLength, space: space,
                                                                            room: room, mayElicit: mayElicit) {
                frame.encode(into: &draft.payload)
                draft.carriesAck = true
                draft.largestAcknowledgedInAck = ack.ranges.first?.upperBound
            }
        }
        let probe = spaces[space].probesPending > 0
        if mayElicit || probe {
            addAckElicitingFrames(to: &draft, space: space, room: room)
            if probe && !draft.isAckEliciting && room - draft.payload.count >= 1 {
                Frame.ping.encode(into: &draft.payload)        // RFC 9002 §6.2.4: a probe must elicit an ACK
                draft.isAckEliciting = true
            }
            if probe && draft.isAckEliciting { spaces[space].probesPending -= 1 }
        }
        // An ACK alone goes out only when it is due; otherwise it rides on the next packet.
        guard draft.isAckEliciting || (draft.carriesAck && ackDue) else { return nil }
        return draft
    }

    /// Whether an ACK that is not due yet would leave too little room for the next queued DATAGRAM (which
    /// fits an empty packet). Such an ACK waits for a later packet: otherwise the datagram could not go out
    /// beside it, the ACK alone is not worth a packet yet, and the datagram — with everything queued behind
    /// it — would wait until the ACK falls due (a peer that sends nothing new would stall us).
    private func crowdsOutNextDatagram(ackLength: Int, space: PacketNumberSpace, room: Int, mayElicit: Bool) -> Bool {
        guard mayElicit, space == .applicationData, handshakeComplete, let next = datagramSendQueue.first else {
            return false
        }
        let length = Frame.datagram(data: next).wireLength
        return length <= room && length + ackLength > room
    }

    private mutating func add(_ frame: Frame, _ info: RetransmittableFrame?, to draft: inout PacketDraft) {
        frame.encode(into: &draft.payload)
        if let info { draft.frames.append(info) }
        draft.isAckEliciting = true
    }

    private mutating func addAckElicitingFrames(to draft: inout PacketDraft, space: PacketNumberSpace, room: Int) {
        func remaining(_ draft: PacketDraft) -> Int { room - draft.payload.count }

        if space == .applicationData {
            if pendingHandshakeDone, remaining(draft) >= 1 {
                pendingHandshakeDone = false
                add(.handshakeDone, .handshakeDone, to: &draft)
            }
            while let sequence = pendingNewConnectionIDs.first, remaining(draft) >= 48 {
                pendingNewConnectionIDs.removeFirst()
                guard let frame = newConnectionIDFrame(sequence: sequence) else { continue }
                add(.newConnectionID(frame), .newConnectionID(sequence: sequence), to: &draft)
            }
            while let sequence = pendingRetireConnectionIDs.first, remaining(draft) >= 9 {
                pendingRetireConnectionIDs.removeFirst()
                add(.retireConnectionID(sequence: sequence), .retireConnectionID(sequence: sequence), to: &draft)
            }
            while let (frame, info) = streams.nextConnectionControlFrame(room: remaining(draft)) {
                add(frame, info, to: &draft)
            }
        }

        // CRYPTO data (RFC 9000 §19.6): retransmissions first, then new handshake bytes.
        while spaces[space].cryptoSend.hasDataToSend {
            let offset = spaces[space].cryptoSend.highestSentOffset
            let overhead = 1 + VarInt.encodedLength(of: offset + UInt64(room)) + VarInt.encodedLength(of: UInt64(room))
            guard remaining(draft) > overhead,
                  let chunk = spaces[space].cryptoSend.nextChunk(maxBytes: remaining(draft) - overhead,
                                                                  flowControlLimit: .max) else { break }
            add(.crypto(offset: chunk.offset, data: chunk.bytes),
                .crypto(offset: chunk.offset, length: chunk.bytes.count), to: &draft)
        }

        guard space == .applicationData, handshakeComplete else {
            if pingPending, remaining(draft) >= 1, space == .applicationData {
                pingPending = false
                add(.ping, nil, to: &draft)
            }
            return
        }
        // NAT traversal and address discovery frames: 1-RTT only, retransmitted while useful.
        while let frame = nextTraversalFrame(room: remaining(draft)) {
            add(frame, .natTraversal(frame), to: &draft)
        }
        // DATAGRAM frames (RFC 9221 §5): sent once, in order, never retransmitted.
        while let datagram = datagramSendQueue.first {
            let frame = Frame.datagram(data: datagram)
            if frame.wireLength <= remaining(draft) {
                datagramSendQueue.removeFirst()
                add(frame, .datagram, to: &draft)
                statistics.datagramsSent += 1
            } else if draft.payload.isEmpty || frame.wireLength > room {
                // Larger than the path can carry now (it shrank after the datagram was queued).
                datagramSendQueue.removeFirst()
                datagramsDroppedOnSend += 1
                statistics.datagramsDropped += 1
            } else {
                break
            }
        }
        while let (frame, info) = streams.nextStreamFrame(room: remaining(draft)) {
            add(frame, info, to: &draft)
        }
        if pingPending, remaining(draft) >= 1 {
            pingPending = false
            if !draft.isAckEliciting { add(.ping, nil, to: &draft) }
        }
    }

    // MARK: - Serializing and sealing

    /// - Parameter destinationConnectionID: the ID of a path other than the active one (RFC 9000 §9.5);
    ///   nil: the connection's current peer ID.
    mutating func serialize(_ drafts: [PacketDraft], budget: Int, destination: PathAddress,
                            destinationConnectionID: ConnectionID? = nil, now: NIODeadline) -> QUICTransmit? {
        var drafts = drafts
        // RFC 9000 §14.1: pad datagrams with a client Initial, or a server's ack-eliciting Initial, to 1200.
        // RFC 9000 §8.2.1: path-validation datagrams too (up to the amplification limit), counted with the packet
        // number's real length (the probe builder reserves four bytes for it).
        let needsPadding = drafts.contains { $0.space == .initial && (role == .client || $0.isAckEliciting) }
            || drafts.contains(where: \.isPathProbe)
        var datagram: [UInt8] = []
        datagram.reserveCapacity(budget)
        var sentHandshake = false
        for index in drafts.indices {
            let space = drafts[index].space
            let packetNumber = spaces[space].nextPacketNumber
            let pnLength = PacketNumberCoding.encodedLength(full: packetNumber,
                                                            largestAcknowledged: recovery.largestAcknowledged(space))
            // RFC 9001 §5.4.2: at least 4 bytes of packet number + payload so the sample exists.
            var minimumPayload = max(0, 4 - pnLength)
            if needsPadding, index == drafts.count - 1 {
                let headerSize = space == .applicationData
                    ? 1 + (destinationConnectionID ?? peerConnectionID).count + pnLength
                    : headerOverhead(space) - 4 - 16 + pnLength
                let target = min(Self.minimumInitialDatagramSize, budget)
                let soFar = datagram.count + headerSize + 16
                minimumPayload = max(minimumPayload, target - soFar)
            }
            if drafts[index].payload.count < minimumPayload {
                let padding = minimumPayload - drafts[index].payload.count
                drafts[index].payload.append(contentsOf: repeatElement(0, count: padding))
                drafts[index].hasPadding = true
            }
            let packetStart = datagram.count
            let pnOffset: Int
            switch space {
            case .initial, .handshake:
                pnOffset = PacketHeaderBuilder.appendLongHeader(
                    type: space == .initial ? .initial : .handshake, version: QUICVersion.v1,
                    destination: peerConnectionID, source: localConnectionIDs[0] ?? .empty,
                    token: space == .initial ? retryToken : [], packetNumber: packetNumber,
                    packetNumberLength: pnLength, payloadLength: drafts[index].payload.count + 16, into: &datagram)
            case .applicationData:
                pnOffset = PacketHeaderBuilder.appendShortHeader(
                    destination: destinationConnectionID ?? peerConnectionID, keyPhase: keyPhases.phase, packetNumber: packetNumber,
                    packetNumberLength: pnLength, into: &datagram)
            }
            datagram.append(contentsOf: drafts[index].payload)
            guard let sealer = spaces[space].sealer else { return nil }
            do {
                try sealer.seal(packet: &datagram, packetStart: packetStart, packetNumberOffset: pnOffset,
                                packetNumberLength: pnLength, packetNumber: packetNumber)
            } catch {
                return nil
            }
            spaces[space].nextPacketNumber += 1
            let draft = drafts[index]
            let sent = SentPacket(packetNumber: packetNumber, timeSent: now, size: datagram.count - packetStart,
                                  isAckEliciting: draft.isAckEliciting && !draft.isPathProbe,
                                  inFlight: (draft.isAckEliciting || draft.hasPadding) && !draft.isPathProbe,
                                  largestAcknowledgedInAck: draft.largestAcknowledgedInAck, frames: draft.frames)
            recovery.onPacketSent(sent, space: space)
            if draft.carriesAck { spaces[space].received.onAckSent() }
            if draft.isAckEliciting {
                // RFC 9000 §10.1: the idle timer restarts on the first ack-eliciting packet after a receive.
                if !ackElicitingSentSinceReceive { armIdleTimer(now: now) }
                ackElicitingSentSinceReceive = true
                lastSendTime = now
            }
            statistics.packetsSent += 1
            if space == .handshake { sentHandshake = true }
            if space == .applicationData { sentOneRTTPacket(packetNumber, now: now) }
        }
        statistics.bytesSent += datagram.count
        // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
        if role == .client, sentHandshake { discardKeys(.initial) }
        updateLossTimer(now: now)
        return QUICTransmit(destination: destination, payload: datagram)
    }

    /// RFC 9000 §10.2.3: CONNECTION_CLOSE in every space the peer may be able to read; application errors
    /// become APPLICATION_ERROR without a reason in Initial and Handshake packets.
    private mutating func buildClosingDatagram(now: NIODeadline) -> QUICTransmit? {
        guard let close = closeFrame else { return nil }
        var drafts: [PacketDraft] = []
        for space in PacketNumberSpace.allCases where spaces[space].canSend {
            if space == .applicationData && !handshakeComplete { continue }
            var frame = close
            if space != .applicationData && close.isApplicationError {
                frame = ConnectionCloseFrame(isApplicationError: false, errorCode: TransportErrorCode.applicationError.rawValue,
                                             frameType: 0, reason: [])
            }
            var draft = PacketDraft(space: space)
            Frame.connectionClose(frame).encode(into: &draft.payload)
            drafts.append(draft)
        }
        guard !drafts.isEmpty else { return nil }
        let maxSize = min(path.maxUDPPayload, path.amplificationBudget)
        let transmit = serialize(drafts, budget: max(maxSize, 0), destination: path.remote, now: now)
        path.bytesSent += transmit?.payload.count ?? 0
        return transmit
    }
}
