public import NIOCore
public import QUICWire

extension QUICConnection {
    /// Handles every timer that is due at `now` (idle, loss detection, PTO, pacing, keep-alive, close).
    public mutating func handleTimeout(now: NIODeadline) {
        switch state {
        case .closed:
            return
        case .closing(let until), .draining(let until):
            if now >= until { state = .closed }
            return
        case .handshaking, .established:
            break
        }
        if let idle = idleDeadline, now >= idle {
            // RFC 9000 §10.1: silently close after the idle timeout.
            let reason: QUICCloseReason = handshakeComplete ? .idleTimeout : .handshakeTimeout
            closeReason = reason
            state = .closed
            emit(.closed(reason))
            return
        }
        if let timer = lossTimer, now >= timer.deadline {
            onLossDetectionTimeout(timer.kind, now: now)
        }
        if let pacing = pacingDeadline, now >= pacing { pacingDeadline = nil }
        if let keepAlive = keepAliveDeadline, now >= keepAlive { pingPending = true }
        expirePreviousKeys(now: now)
        handlePathTimers(now: now)
        handleConnectionIDTimer(now: now)
    }

    /// RFC 9002 Appendix A.9 OnLossDetectionTimeout.
    private mutating func onLossDetectionTimeout(_ kind: LossRecovery.TimerKind, now: NIODeadline) {
        switch kind {
        case .lossTime(let space):
            requeueLost(recovery.onLossTimeout(space: space, now: now), space: space)
        case .probeTimeout(let space):
            recovery.onProbeTimeout()
            // §6.2.4: one or two ack-eliciting probes; during the handshake they carry the CRYPTO data
            // still unacknowledged so a lost flight is repaired by the probe itself.
            spaces[space].probesPending = space == .applicationData ? 2 : 1
            if space != .applicationData {
                for packet in recovery.outstandingPackets(in: space) {
                    for case .crypto(let offset, let length) in packet.frames {
                        spaces[space].cryptoSend.onLost(offset: offset, length: length, fin: false)
                    }
                }
            }
            // §6.2.2.1: a client probing with nothing in flight also sends its Initial data again.
            if role == .client, space == .handshake, !spaces[.initial].isDiscarded {
                spaces[.initial].probesPending = 1
            }
        }
        updateLossTimer(now: now)
    }

    /// Packets declared lost — by an acknowledgement, the loss timer, or because they left on a path the
    /// connection abandoned: their information goes out again (RFC 9000 §13.3), frame by frame.
    mutating func requeueLost(_ packets: [SentPacket], space: PacketNumberSpace) {
        for packet in packets {
            statistics.packetsLost += 1
            for frame in packet.frames { onFrameLost(frame, space: space) }
        }
    }

    /// Re-arms the loss-detection timer (RFC 9002 Appendix A.8).
    mutating func updateLossTimer(now: NIODeadline) {
        let blocked = role == .server && !path.isValidated && path.amplificationBudget < 1200
        lossTimer = recovery.lossDetectionTimer(
            handshakeConfirmed: handshakeConfirmed,
            peerAwaitingAddressValidation: role == .client && !peerCompletedAddressValidation,
            amplificationBlocked: blocked, hasHandshakeKeys: spaces[.handshake].sealer != nil, now: now)
    }

    /// RFC 9000 §10.1: the effective idle timeout, never shorter than three PTOs.
    mutating func armIdleTimer(now: NIODeadline) {
        var timeout = configuration.maxIdleTimeout
        if let peer = peerTransportParameters?.maxIdleTimeout, peer > 0 {
            let peerTimeout = TimeAmount.milliseconds(Int64(clamping: peer))
            timeout = timeout.nanoseconds > 0 ? min(timeout, peerTimeout) : peerTimeout
        }
        guard timeout.nanoseconds > 0 else { idleDeadline = nil; return }
        let pto = recovery.rtt.probeTimeout(maxAckDelay: recovery.peerMaxAckDelay, includeMaxAckDelay: true)
        idleDeadline = now + max(timeout, pto * 3)
    }

    /// When a keep-alive PING is due (nil when keep-alives are off or the connection is not established).
    var keepAliveDeadline: NIODeadline? {
        guard state == .established, let interval = configuration.keepAliveInterval, !pingPending else { return nil }
        return max(lastSendTime, lastActivity) + interval
    }

    // MARK: - Closing (RFC 9000 §10.2)

    /// Closes the connection with an application error (CONNECTION_CLOSE type 0x1d).
    public mutating func close(errorCode: UInt64 = 0, reason: String = "", now: NIODeadline) {
        guard state == .handshaking || state == .established else { return }
        let error = QUICCloseError(isApplicationError: true, code: errorCode, reason: reason)
        enterClosing(error, reason: .local(error), now: now)
    }

    mutating func closeWithTransportError(_ error: QUICWireError, now: NIODeadline) {
        guard state == .handshaking || state == .established else { return }
        let closeError = QUICCloseError.transport(error)
        enterClosing(closeError, reason: .transportError(closeError), now: now)
    }

    private mutating func enterClosing(_ error: QUICCloseError, reason: QUICCloseReason, now: NIODeadline) {
        closeFrame = ConnectionCloseFrame(isApplicationError: error.isApplicationError, errorCode: error.code,
                                          frameType: error.frameType ?? 0, reason: Array(error.reason.utf8.prefix(256)))
        closeFramePending = true
        closeReason = reason
        state = .closing(until: now + closingPeriod)
        emit(.closed(reason))
    }

    mutating func enterDraining(reason: QUICCloseReason, now: NIODeadline) {
        closeReason = reason
        state = .draining(until: now + closingPeriod)
        emit(.closed(reason))
    }

    /// RFC 9000 §10.2: the closing and draining states last three times the PTO.
    private var closingPeriod: TimeAmount {
        recovery.rtt.probeTimeout(maxAckDelay: recovery.peerMaxAckDelay, includeMaxAckDelay: true) * 3
    }
}
