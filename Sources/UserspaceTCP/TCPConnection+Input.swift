import IPPacket
import NIOCore

// MARK: - Segment arrival (RFC 9293 §3.10.7)

extension TCPConnection {
    /// Processes one segment of this flow; `payload` is its data.
    mutating func handle(_ segment: TCPHeader, payload: UnsafeRawBufferPointer, now: NIODeadline,
                         _ out: inout TCPOutput) {
        let seq = SequenceNumber(segment.sequenceNumber)
        let flags = segment.flags
        switch state {
        case .closed:
            return
        case .awaitingAccept:
            // No SYN-ACK yet: the kernel retransmits its SYN until the connector answers.
            if flags.contains(.rst) && (seq == irs || seq == irs + 1) {
                out.counters.resetsReceived += 1
                abortByPeer(&out)
            } else if flags.contains(.syn) && !flags.contains(.ack) && seq == irs {
                out.counters.synRetransmissionsAbsorbed += 1
            } else {
                out.counters.droppedInvalidForState += 1
            }
            return
        case .synReceived where flags.contains(.syn) && !flags.contains(.ack) && seq == irs:
            // Our SYN-ACK was lost (the kernel retransmitted its SYN): answer again now.
            out.counters.segmentsRetransmitted += 1
            rttProbe = nil
            sendSynAck(now: now, &out)
            return
        default:
            break
        }

        // First: sequence acceptability (RFC 9293 §3.10.7.4, the four cases).
        let segmentLength = payload.count + (flags.contains(.fin) ? 1 : 0)
        let window = max(advertisedRightEdge - rcvNxt, 0)
        let acceptable: Bool
        switch (segmentLength, window) {
        case (0, 0): acceptable = seq == rcvNxt
        case (0, _): acceptable = rcvNxt <= seq && seq < rcvNxt + window
        case (_, 0): acceptable = false
        default:
            let last = seq + (segmentLength - 1)
            acceptable = (rcvNxt <= seq && seq < rcvNxt + window) || (rcvNxt <= last && last < rcvNxt + window)
        }
        if !acceptable {
            if flags.contains(.rst) { out.counters.droppedOutOfWindow += 1; return }
            out.counters.droppedOutOfWindow += 1
            // RFC 9293 §3.10.7.4: "special allowance" for valid ACKs when our window is zero.
            if window == 0 && seq == rcvNxt && flags.contains(.ack) && state != .synReceived {
                _ = processACK(segment, seq: seq, dataLength: payload.count, now: now, &out)
            }
            if state == .timeWait && flags.contains(.fin) {
                stateDeadline = now + configuration.timeWaitDuration  // RFC 9293: restart the 2 MSL timeout
            }
            ackNow = true
            flush(now: now, &out)
            return
        }

        // Second: RST (RFC 5961 §3.2: only an exact match resets, others get a challenge ACK).
        if flags.contains(.rst) {
            if seq == rcvNxt {
                out.counters.resetsReceived += 1
                abortByPeer(&out)
            } else {
                out.counters.challengeACKsSent += 1
                sendACK(&out)
            }
            return
        }

        // Fourth: a SYN in a synchronized state (RFC 5961 §4.2): challenge ACK.
        if flags.contains(.syn) {
            out.counters.challengeACKsSent += 1
            sendACK(&out)
            return
        }

        // Fifth: the ACK field.
        guard flags.contains(.ack) else {
            out.counters.droppedInvalidForState += 1
            return
        }
        if state == .synReceived {
            guard SequenceNumber(segment.acknowledgmentNumber) == iss + 1 else {
                // RFC 9293 §3.10.7.4: unacceptable ACK in SYN-RECEIVED → <SEQ=SEG.ACK><CTL=RST>.
                sendControl(sequence: SequenceNumber(segment.acknowledgmentNumber), acknowledgment: SequenceNumber(0),
                            flags: .rst, &out)
                out.counters.resetsSent += 1
                return
            }
            establish(segment, seq: seq, now: now, &out)
        }
        guard processACK(segment, seq: seq, dataLength: payload.count, now: now, &out) else {
            flush(now: now, &out)
            return
        }
        if state == .closed { return }

        // Seventh/eighth: data and FIN, in the states that still receive.
        switch state {
        case .established, .finWait1, .finWait2:
            if segmentLength > 0 {
                receiveData(seq: seq, payload: payload, fin: flags.contains(.fin), now: now, &out)
            }
        default:
            if payload.count > 0 { out.counters.droppedInvalidForState += 1 }  // data after the peer's FIN
        }
        flush(now: now, &out)
    }

    // MARK: - Handshake completion

    private mutating func establish(_ segment: TCPHeader, seq: SequenceNumber, now: NIODeadline, _ out: inout TCPOutput) {
        sndUna = iss + 1
        sndWnd = Int(segment.window) << sendScale
        sndWl1 = seq
        sndWl2 = sndUna
        if let probe = rttProbe, probe.sequence == iss { rtt.addSample(now - probe.sentAt) }
        rttProbe = nil
        rtt.resetBackoff()
        consecutiveRetransmissions = 0
        retransmitDeadline = nil
        state = .established
        out.events.append(.writable(id))
    }

    // MARK: - ACK processing (RFC 9293 §3.10.7.4, RFC 5681 §3.2, RFC 6582, RFC 6298 §5)

    /// Returns false when the segment must be dropped (it acknowledged something never sent).
    mutating func processACK(_ segment: TCPHeader, seq: SequenceNumber, dataLength: Int, now: NIODeadline,
                             _ out: inout TCPOutput) -> Bool {
        let ack = SequenceNumber(segment.acknowledgmentNumber)
        if ack > sndNxt {
            out.counters.droppedAckOfUnsent += 1
            ackNow = true
            return false
        }
        let newWindow = Int(segment.window) << sendScale
        if ack > sndUna {
            var dataAcked = ack - sndUna
            if let fin = finSequence, ack > fin { dataAcked -= 1 }
            sendBuffer.removeFirst(dataAcked)
            sndUna = ack
            if let probe = rttProbe, ack > probe.sequence {
                rtt.addSample(now - probe.sentAt)
                rttProbe = nil
            }
            rtt.resetBackoff()
            consecutiveRetransmissions = 0
            duplicateACKs = 0
            persistBackoff = 0
            retransmitDeadline = sndUna == sndNxt ? nil : now + rtt.rto
            if let point = recoveryPoint {
                if ack < point {
                    retransmitHead(now: now, &out)  // RFC 6582 §3.2 step 5: partial ACK
                } else {
                    recoveryPoint = nil
                }
            }
            if writeBlocked && sendBuffer.room > 0 && !finRequested {
                writeBlocked = false
                out.events.append(.writable(id))
            }
            if let fin = finSequence, ack > fin { ourFINAcknowledged(now: now, &out) }
        } else if ack == sndUna && dataLength == 0 && !segment.flags.contains(.fin) && newWindow == sndWnd
                    && sndNxt > sndUna {
            // RFC 5681 §2 duplicate ACK; the third starts fast retransmit (§3.2).
            duplicateACKs += 1
            if duplicateACKs == 3 && recoveryPoint == nil {
                out.counters.fastRetransmits += 1
                recoveryPoint = sndNxt
                retransmitHead(now: now, &out)
                retransmitDeadline = now + rtt.rto
            }
        }
        // RFC 9293 §3.10.7.4: update the send window only from a segment at least as new as the last update.
        if sndWl1 < seq || (sndWl1 == seq && sndWl2 <= ack) {
            sndWnd = newWindow
            sndWl1 = seq
            sndWl2 = ack
        }
        return true
    }

    private mutating func ourFINAcknowledged(now: NIODeadline, _ out: inout TCPOutput) {
        switch state {
        case .finWait1:
            state = .finWait2
        case .closing:
            enterTimeWait(now: now)
        case .lastAck:
            state = .closed
        default:
            break
        }
    }

    mutating func enterTimeWait(now: NIODeadline) {
        state = .timeWait
        retransmitDeadline = nil
        persistDeadline = nil
        stateDeadline = now + configuration.timeWaitDuration
    }

    /// The peer reset us (or we gave up): tell the owner, then go.
    mutating func abortByPeer(_ out: inout TCPOutput) {
        out.events.append(.reset(id))
        state = .closed
        discardUnread = true
    }

    // MARK: - Data (RFC 9293 §3.10.7.4 seventh step, RFC 5681 §4.2 ACK policy)

    private mutating func receiveData(seq: SequenceNumber, payload: UnsafeRawBufferPointer, fin: Bool,
                                      now: NIODeadline, _ out: inout TCPOutput) {
        var start = seq
        var bytes = payload
        var fin = fin
        if start < rcvNxt {
            let skip = rcvNxt - start
            if skip > bytes.count || (skip == bytes.count && !fin) {
                ackNow = true  // a pure duplicate: re-ACK so the kernel stops retransmitting
                return
            }
            bytes = UnsafeRawBufferPointer(rebasing: bytes[skip...])
            start = rcvNxt
        }
        let room = advertisedRightEdge - start
        if bytes.count > room {
            out.counters.bytesTrimmedBeyondWindow += bytes.count - max(room, 0)
            bytes = UnsafeRawBufferPointer(rebasing: bytes[..<max(room, 0)])
            fin = false
        }
        if start == rcvNxt {
            let hadGap = !receive.outOfOrder.isEmpty
            let taken = receive.append(bytes)
            if taken < bytes.count {
                out.counters.bytesTrimmedBeyondWindow += bytes.count - taken
                fin = false
            }
            rcvNxt += taken
            let (_, mergedFIN) = receive.mergeOutOfOrder(&rcvNxt)
            if receive.ring.count > 0 && !readableSignaled {
                readableSignaled = true
                out.events.append(.readable(id))
            }
            if fin || mergedFIN {
                finReceived(now: now, &out)
            } else if hadGap {
                ackNow = true  // RFC 5681 §4.2: ACK at once when a gap is (partly) filled
            } else {
                unackedSegments += 1
                if unackedSegments >= 2 {
                    ackNow = true
                } else if delayedACKDeadline == nil {
                    delayedACKDeadline = now + configuration.delayedACKTimeout
                }
            }
        } else {
            if receive.storeOutOfOrder(start, bytes, fin: fin) {
                out.counters.outOfOrderSegmentsQueued += 1
            } else {
                out.counters.droppedOutOfOrderOverflow += 1
            }
            ackNow = true  // RFC 5681 §4.2: out-of-order data → immediate duplicate ACK
        }
    }

    private mutating func finReceived(now: NIODeadline, _ out: inout TCPOutput) {
        rcvNxt += 1
        ackNow = true
        out.events.append(.finReceived(id))
        switch state {
        case .established: state = .closeWait
        case .finWait1: state = .closing
        case .finWait2: enterTimeWait(now: now)
        default: break
        }
    }
}
