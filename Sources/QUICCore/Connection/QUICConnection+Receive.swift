public import NIOCore
import QUICCrypto
import QUICTLS
public import QUICWire

extension QUICConnection {
    // MARK: - Datagrams

    /// Processes one UDP datagram routed to this connection (possibly several coalesced packets,
    /// RFC 9000 §12.2). Invalid packets are dropped and counted; protocol errors close the connection.
    public mutating func handle(datagram: [UInt8], from remote: PathAddress, now: NIODeadline) {
        switch state {
        case .closed, .draining: return
        case .closing:
            // RFC 9000 §10.2.1: answer with CONNECTION_CLOSE, but not to every packet of a flood.
            statistics.packetsReceived += 1
            if statistics.packetsReceived & (statistics.packetsReceived - 1) == 0 { closeFramePending = true }
            return
        case .handshaking, .established: break
        }
        var datagram = datagram
        statistics.bytesReceived += datagram.count
        accountReceived(datagram.count, from: remote)
        var offset = 0
        var firstDestination: ConnectionID?
        var processedAny = false
        while offset < datagram.count {
            let header: PacketHeader
            do {
                header = try PacketHeader.parse(datagram: datagram, at: offset,
                                                shortHeaderConnectionIDLength: configuration.connectionIDLength)
            } catch {
                statistics.packetsDropped += 1
                break
            }
            // RFC 9000 §12.2: coalesced packets with another connection ID are ignored.
            if let first = firstDestination, first != header.destinationConnectionID {
                statistics.packetsDropped += 1
                break
            }
            firstDestination = header.destinationConnectionID
            do {
                let ok = try handlePacket(&datagram, header, from: remote, now: now)
                        if ok { processedAny = true }
            } catch {
                closeWithTransportError(error, now: now)
                return
            }
            guard state == .handshaking || state == .established else { return }
            offset = header.packetEnd
        }
        if !processedAny, isStatelessReset(datagram) {
            handleStatelessReset()
            return
        }
        if processedAny { updateLossTimer(now: now) }
    }

    /// RFC 9000 §10.3.1: the peer lost our connection; no more packets are sent.
    mutating func handleStatelessReset() {
        guard state == .handshaking || state == .established else { return }
        closeReason = .statelessReset
        state = .closed
        emit(.closed(.statelessReset))
    }

    /// RFC 9000 §10.3.1: a datagram we cannot process whose last 16 bytes are a reset token of the peer.
    private func isStatelessReset(_ datagram: [UInt8]) -> Bool {
        guard datagram.count >= 21, datagram[0] & 0x80 == 0 else { return false }
        let tail = Array(datagram.suffix(16))
        if peerStatelessResetToken?.bytes == tail { return true }
        if peerConnectionIDs.values.contains(where: { $0.token.bytes == tail }) { return true }
        return pathPeerConnectionIDs.contains { $0.token?.bytes == tail }
    }

    // MARK: - Packets

    /// Returns true when the packet was authenticated and processed.
    private mutating func handlePacket(_ datagram: inout [UInt8], _ header: PacketHeader, from remote: PathAddress,
                                       now: NIODeadline) throws(QUICWireError) -> Bool {
        let kind: PacketKind
        switch header.form {
        case .versionNegotiation(let versions):
            handleVersionNegotiation(versions, header: header)
            return false
        case .retry(let token, _):
            handleRetry(datagram, header: header, token: token)
            return false
        case .zeroRTT:
            statistics.packetsDropped += 1      // 0-RTT is not supported (we never offer it)
            return false
        case .initial: kind = .initial
        case .handshake: kind = .handshake
        case .short: kind = .oneRTT
        }
        guard let space = header.packetNumberSpace, !spaces[space].isDiscarded,
              let opener = spaces[space].opener else {
            statistics.packetsDropped += 1      // keys not yet (or no longer) available
            return false
        }
        let packetNumber: UInt64
        let payload: [UInt8]
        var nextKeyPhase = false
        do {
            // Header protection keys never change with key updates (RFC 9001 §6).
            let (length, truncated) = try opener.removeHeaderProtection(
                packet: &datagram, packetStart: header.packetStart,
                packetNumberOffset: header.packetNumberOffset, packetEnd: header.packetEnd)
            packetNumber = PacketNumberCoding.decode(truncated: truncated, lengthInBytes: length,
                                                     largestReceived: spaces[space].received.largestReceived)
            var packetOpener = opener
            if kind == .oneRTT {
                let bit = datagram[header.packetStart] & PacketHeader.keyPhaseBit != 0
                guard let chosen = self.opener(forKeyPhase: bit, packetNumber: packetNumber) else {
                    statistics.packetsDropped += 1
                    return false
                }
                packetOpener = chosen.0
                nextKeyPhase = chosen.isNextPhase
            }
            payload = try packetOpener.open(packet: datagram, packetStart: header.packetStart,
                                            payloadOffset: header.packetNumberOffset + length,
                                            packetEnd: header.packetEnd, packetNumber: packetNumber)
        } catch {
            statistics.packetsDropped += 1      // RFC 9001 §5.5: failed authentication drops the packet
            return false
        }
        // RFC 9000 §17.2, §17.3.1: reserved bits are zero once protection is removed.
        let reservedMask: UInt8 = kind == .oneRTT ? 0x18 : 0x0c
        guard datagram[header.packetStart] & reservedMask == 0 else {
            throw QUICWireError(.protocolViolation, "reserved header bits set")
        }
        guard !spaces[space].received.isDuplicate(packetNumber) else {
            statistics.packetsDropped += 1
            return true
        }
        guard !payload.isEmpty else {
            throw QUICWireError(.protocolViolation, "packet without frames")   // RFC 9000 §12.4
        }
        if kind == .oneRTT {
            if nextKeyPhase {
                // RFC 9001 §6.2: only after the handshake is confirmed may the peer update.
                guard handshakeConfirmed else {
                    throw QUICWireError(.keyUpdateError, "key update before the handshake was confirmed")
                }
                peerUpdatedKeys(firstPacketNumber: packetNumber, now: now)
            } else if (datagram[header.packetStart] & PacketHeader.keyPhaseBit != 0) == keyPhases.phase {
                receivedInCurrentPhase(packetNumber, now: now)
            }
        }
        statistics.packetsReceived += 1

        if role == .client, space == .initial, !peerConnectionIDConfirmed {
            // RFC 9000 §7.2: the client switches to the connection ID the server chose.
            peerConnectionID = header.sourceConnectionID
            peerInitialSourceConnectionID = header.sourceConnectionID
            peerConnectionIDConfirmed = true
        }
        if role == .server, space == .handshake {
            // RFC 9000 §8.1: a Handshake packet proves the client owns its address; RFC 9001 §4.9.1: the
            // server discards Initial keys on its first Handshake packet.
            path.isValidated = true
            discardKeys(.initial)
        }

        let isLargest = spaces[space].received.largestReceived.map { packetNumber > $0 } ?? true
        let (ackEliciting, nonProbing) = try processFrames(payload, space: space, kind: kind, from: remote, now: now)
        if kind == .oneRTT, remote != path.remote {
            onPacketFromOtherAddress(remote, nonProbing: nonProbing, isLargest: isLargest, now: now)
        }
        notePacketReceived(from: remote, now: now)
        spaces[space].received.record(packetNumber: packetNumber, ackEliciting: ackEliciting, now: now,
                                      maxAckDelay: configuration.maxAckDelay,
                                      immediate: space != .applicationData)
        lastActivity = now
        ackElicitingSentSinceReceive = false
        armIdleTimer(now: now)
        return true
    }

    /// RFC 9000 §6.2: a client that receives Version Negotiation without v1 gives up; otherwise ignores it.
    private mutating func handleVersionNegotiation(_ versions: [UInt32], header: PacketHeader) {
        guard role == .client, !peerConnectionIDConfirmed, retrySourceConnectionID == nil,
              header.destinationConnectionID == localConnectionIDs[0],
              header.sourceConnectionID == originalDestinationConnectionID,
              !versions.contains(QUICVersion.v1) else { return }
        closeReason = .versionNegotiation(versions)
        state = .closed
        emit(.closed(.versionNegotiation(versions)))
    }

    /// RFC 9000 §17.2.5.2: a client accepts one Retry before any server Initial, and starts over with the
    /// server's new connection ID and the token.
    private mutating func handleRetry(_ datagram: [UInt8], header: PacketHeader, token: [UInt8]) {
        guard role == .client, !peerConnectionIDConfirmed, retrySourceConnectionID == nil, !token.isEmpty,
              header.sourceConnectionID != peerConnectionID else {
            statistics.packetsDropped += 1
            return
        }
        let packet = Array(datagram[header.packetStart..<header.packetEnd])
        guard RetryIntegrity.verify(retryPacket: packet,
                                    originalDestinationConnectionID: originalDestinationConnectionID.bytes) else {
            statistics.packetsDropped += 1
            return
        }
        retrySourceConnectionID = header.sourceConnectionID
        retryToken = token
        peerConnectionID = header.sourceConnectionID
        // RFC 9001 §5.2: new Initial keys from the server's chosen connection ID; everything sent so far in
        // the Initial space is sent again (packet numbers continue, RFC 9000 §17.2.5.3).
        installInitialKeys(destinationConnectionID: header.sourceConnectionID)
        for packet in recovery.abandonOutstanding(space: .initial) {
            for case .crypto(let offset, let length) in packet.frames {
                spaces[.initial].cryptoSend.onLost(offset: offset, length: length, fin: false)
            }
        }
    }

    // MARK: - Frames

    /// Processes every frame of a packet; returns whether the packet was ack-eliciting, and whether it
    /// carried any non-probing frame (RFC 9000 §9.1).
    private mutating func processFrames(_ payload: [UInt8], space: PacketNumberSpace, kind: PacketKind,
                                        from remote: PathAddress,
                                        now: NIODeadline) throws(QUICWireError) -> (ackEliciting: Bool, nonProbing: Bool) {
        var reader = ByteReader(payload)
        var ackEliciting = false
        var nonProbing = false
        while !reader.isAtEnd {
            let frame = try Frame.parse(from: &reader)
            guard frame.isAllowed(in: kind) else {
                throw QUICWireError(.protocolViolation, frameType: frame.frameType, "frame not allowed in \(kind)")
            }
            if frame.isAckEliciting { ackEliciting = true }
            if !frame.isProbing { nonProbing = true }
            try handleFrame(frame, space: space, from: remote, now: now)
            guard state == .handshaking || state == .established else { break }
        }
        return (ackEliciting, nonProbing)
    }

    private mutating func handleFrame(_ frame: Frame, space: PacketNumberSpace, from remote: PathAddress,
                                      now: NIODeadline) throws(QUICWireError) {
        switch frame {
        case .padding, .ping:
            break
        case .ack(let ack):
            try handleAck(ack, space: space, now: now)
        case .crypto(let offset, let data):
            try handleCrypto(offset: offset, data: data, space: space, now: now)
        case .stream(let streamFrame):
            try streams.onStreamFrame(streamFrame)
        case .resetStream(let streamID, let errorCode, let finalSize):
            try streams.onResetStream(streamID: streamID, errorCode: errorCode, finalSize: finalSize, now: now,
                                      smoothedRTT: recovery.rtt.smoothedRTT)
        case .stopSending(let streamID, let errorCode):
            try streams.onStopSending(streamID: streamID, errorCode: errorCode)
        case .maxData(let maximum):
            streams.onMaxData(maximum)
        case .maxStreamData(let streamID, let maximum):
            try streams.onMaxStreamData(streamID: streamID, maximum: maximum)
        case .maxStreams(let bidirectional, let maximum):
            streams.onMaxStreams(bidirectional: bidirectional, maximum: maximum)
        case .dataBlocked, .streamsBlocked:
            break                                 // our window updates follow consumption (RFC 9000 §4.2)
        case .streamDataBlocked(let streamID, _):
            try streams.onStreamDataBlocked(streamID: streamID)
        case .newToken:
            // RFC 9000 §19.7: only servers send NEW_TOKEN; we do not use tokens for future connections yet.
            if role == .server { throw QUICWireError(.protocolViolation, frameType: 0x07, "NEW_TOKEN from a client") }
        case .newConnectionID(let newID):
            try handleNewConnectionID(newID)
        case .retireConnectionID(let sequence):
            try handleRetireConnectionID(sequence, now: now)
        case .pathChallenge(let data):
            onPathChallenge(data, from: remote)   // RFC 9000 §8.2.2: answered on the path it came from
        case .pathResponse(let data):
            onPathResponse(data, now: now)        // RFC 9000 §8.2.3
        case .connectionClose(let close):
            let error = QUICCloseError(isApplicationError: close.isApplicationError, code: close.errorCode,
                                       frameType: close.isApplicationError ? nil : close.frameType,
                                       reason: String(decoding: close.reason, as: UTF8.self))
            enterDraining(reason: .peer(error), now: now)
        case .handshakeDone:
            guard role == .client else {
                throw QUICWireError(.protocolViolation, frameType: 0x1e, "HANDSHAKE_DONE from a client")
            }
            if !handshakeConfirmed {
                // RFC 9001 §4.1.2, §4.9.2: confirmed; Handshake keys are discarded.
                handshakeConfirmed = true
                peerCompletedAddressValidation = true
                discardKeys(.handshake)
                startRequestedKeyUpdate(now: now)
                reportObservedAddressIfNeeded()
            }
        case .datagram(let data):
            try handleDatagramFrame(data, frame: frame)
        case .addAddress, .punchMeNow, .removeAddress, .observedAddress:
            try handleTraversalFrame(frame)       // QUICConnection+NATTraversal.swift
        }
    }

    private mutating func handleAck(_ ack: AckFrame, space: PacketNumberSpace, now: NIODeadline) throws(QUICWireError) {
        let outcome = try recovery.onAckReceived(ack, space: space, now: now, handshakeConfirmed: handshakeConfirmed,
                                                 nextPacketNumber: spaces[space].nextPacketNumber)
        for packet in outcome.acknowledged {
            if let largest = packet.largestAcknowledgedInAck {
                spaces[space].received.onAckAcknowledged(largest: largest)
            }
            for frame in packet.frames { onFrameAcknowledged(frame, space: space) }
            if space == .applicationData { acknowledgedOneRTTPacket(packet.packetNumber) }
        }
        if space == .applicationData { startRequestedKeyUpdate(now: now) }
        requeueLost(outcome.lost, space: space)
        guard !outcome.acknowledged.isEmpty else { return }
        if role == .client, space == .handshake { peerCompletedAddressValidation = true }
        // RFC 9002 Appendix A.7: reset the PTO backoff unless the client cannot know whether the server
        // validated its address yet.
        if role == .server || peerCompletedAddressValidation { recovery.resetPTOBackoff() }
    }

    mutating func onFrameAcknowledged(_ frame: RetransmittableFrame, space: PacketNumberSpace) {
        switch frame {
        case .crypto(let offset, let length):
            spaces[space].cryptoSend.onAcked(offset: offset, length: length, fin: false)
        case .stream, .resetStream:
            streams.onAcked(frame)
        default:
            break
        }
    }

    mutating func onFrameLost(_ frame: RetransmittableFrame, space: PacketNumberSpace) {
        switch frame {
        case .crypto(let offset, let length):
            if !spaces[space].isDiscarded { spaces[space].cryptoSend.onLost(offset: offset, length: length, fin: false) }
        case .handshakeDone:
            pendingHandshakeDone = true
        case .newConnectionID(let sequence):
            if localConnectionIDs[sequence] != nil { pendingNewConnectionIDs.append(sequence) }
        case .retireConnectionID(let sequence):
            pendingRetireConnectionIDs.append(sequence)
        case .datagram:
            statistics.datagramsDropped += 1      // RFC 9221 §5.2: DATAGRAM frames are never retransmitted
        case .natTraversal(let frame):
            onTraversalFrameLost(frame)
        default:
            streams.onLost(frame)
        }
    }

    /// RFC 9000 §19.6, §7.5: in-order CRYPTO bytes go to TLS; out-of-order ones wait, within a bound.
    private mutating func handleCrypto(offset: UInt64, data: [UInt8], space: PacketNumberSpace,
                                       now: NIODeadline) throws(QUICWireError) {
        let readOffset = spaces[space].cryptoReceive.readOffset
        let (end, overflow) = offset.addingReportingOverflow(UInt64(data.count))
        guard !overflow, end <= readOffset + 65536 else {
            throw QUICWireError(.cryptoBufferExceeded, frameType: 0x06, "CRYPTO data too far ahead")
        }
        do {
            try spaces[space].cryptoReceive.insert(offset: offset, bytes: data, fin: false)
        } catch {
            throw QUICWireError(.protocolViolation, frameType: 0x06, "invalid CRYPTO data")
        }
        let bytes = spaces[space].cryptoReceive.read(maxBytes: Int.max)
        guard !bytes.isEmpty else { return }
        do {
            try tls.handle(cryptoData: bytes, level: space.encryptionLevel)
        } catch {
            throw QUICWireError(TransportErrorCode(rawValue: error.quicErrorCode), frameType: 0x06, error.message)
        }
        try drainTLSOutputs(now: now)
    }

    /// RFC 9221 §4: DATAGRAM frames only when we advertised support, and within the advertised size.
    private mutating func handleDatagramFrame(_ data: [UInt8], frame: Frame) throws(QUICWireError) {
        guard let maxSize = localTransportParameters.maxDatagramFrameSize,
              UInt64(frame.wireLength) <= maxSize else {
            throw QUICWireError(.protocolViolation, frameType: frame.frameType, "unexpected or oversized DATAGRAM")
        }
        statistics.datagramsReceived += 1
        guard pendingDatagramEvents < configuration.datagramReceiveQueueLimit else {
            datagramsDroppedOnReceive += 1
            statistics.datagramsDropped += 1
            return
        }
        pendingDatagramEvents += 1
        emit(.datagram(data))
    }
}
