import IPPacket
import NIOCore

// MARK: - Sending, retransmission, persist and timers

extension TCPConnection {
    /// Sends what the peer's window allows, then our FIN when finished, then any owed ACK.
    mutating func flush(now: NIODeadline, _ out: inout TCPOutput) {
        switch state {
        case .established, .closeWait:
            sendNewData(now: now, &out)
        default:
            break
        }
        if ackNow || (delayedACKDeadline.map { $0 <= now } ?? false) {
            switch state {
            case .awaitingAccept, .closed: break
            default: sendACK(&out)
            }
        }
    }

    private mutating func sendNewData(now: NIODeadline, _ out: inout TCPOutput) {
        guard finSequence == nil else { return }
        while true {
            let sent = sndNxt - sndUna
            let unsent = sendBuffer.count - sent
            let usable = (sndUna + sndWnd) - sndNxt
            if unsent > 0 {
                guard usable > 0 else { break }
                let count = min(unsent, usable, sendMSS)
                let flags: TCPFlags = count == unsent ? [.ack, .psh] : .ack
                sendSegment(sequence: sndNxt, flags: flags, payloadOffset: sent, payloadCount: count, &out)
                if rttProbe == nil { rttProbe = (sndNxt, now) }
                sndNxt += count
                if retransmitDeadline == nil { retransmitDeadline = now + rtt.rto }
                continue
            }
            if finRequested {
                // RFC 9293 §3.10.4: FIN after all queued data.
                finSequence = sndNxt
                sendSegment(sequence: sndNxt, flags: [.fin, .ack], &out)
                sndNxt += 1
                if retransmitDeadline == nil { retransmitDeadline = now + rtt.rto }
                state = state == .closeWait ? .lastAck : .finWait1
            }
            break
        }
        // RFC 9293 §3.8.6.1: data waiting, nothing in flight and a zero window → persist timer.
        let waiting = sendBuffer.count - (sndNxt - sndUna) > 0 || (finRequested && finSequence == nil)
        if waiting && sndWnd == 0 && sndNxt == sndUna {
            if persistDeadline == nil { persistDeadline = now + persistInterval }
        } else {
            persistDeadline = nil
        }
    }

    private var persistInterval: TimeAmount {
        let base = rtt.rto.nanoseconds
        let shifted = base << min(persistBackoff, 10)
        return .nanoseconds(min(shifted, configuration.maximumRTO.nanoseconds))
    }

    /// Retransmits the first unacknowledged segment (RFC 6298 §5.4), with our FIN if it fits.
    mutating func retransmitHead(now: NIODeadline, _ out: inout TCPOutput) {
        rttProbe = nil  // Karn's rule
        if state == .synReceived {
            out.counters.segmentsRetransmitted += 1
            sendSynAck(now: now, &out)
            return
        }
        var outstandingData = sndNxt - sndUna
        if let fin = finSequence, sndNxt > fin { outstandingData -= 1 }
        outstandingData = min(outstandingData, sendBuffer.count)
        let count = min(outstandingData, sendMSS)
        if count > 0 {
            var flags: TCPFlags = [.ack, .psh]
            if count == outstandingData, finSequence != nil { flags.insert(.fin) }
            sendSegment(sequence: sndUna, flags: flags, payloadCount: count, &out)
            out.counters.segmentsRetransmitted += 1
        } else if let fin = finSequence, sndUna <= fin {
            sendSegment(sequence: fin, flags: [.fin, .ack], &out)
            out.counters.segmentsRetransmitted += 1
        }
    }

    // MARK: - Timers

    mutating func handleTimeout(now: NIODeadline, _ out: inout TCPOutput) {
        if let deadline = stateDeadline, deadline <= now {
            stateDeadline = nil
            switch state {
            case .awaitingAccept:
                // Nobody answered in time: refuse, and tell the owner the flow is gone.
                out.counters.flowsTimedOut += 1
                rejectSYN(&out)
                out.events.append(.reset(id))
                return
            case .timeWait:
                state = .closed
                return
            default:
                break
            }
        }
        if let deadline = retransmitDeadline, deadline <= now {
            out.counters.retransmissionTimeouts += 1
            consecutiveRetransmissions += 1
            if consecutiveRetransmissions > configuration.maxRetransmissions {
                // RFC 9293 §3.8.3 R2: give up.
                out.counters.flowsTimedOut += 1
                sendControl(sequence: sndNxt, acknowledgment: rcvNxt, flags: [.rst, .ack], &out)
                out.counters.resetsSent += 1
                abortByPeer(&out)
                return
            }
            rtt.didExpire()
            duplicateACKs = 0
            recoveryPoint = sndNxt
            retransmitHead(now: now, &out)
            retransmitDeadline = now + rtt.rto
        }
        if let deadline = persistDeadline, deadline <= now {
            // A window probe in Linux's style: an already-acknowledged sequence number, no data. It never
            // puts data beyond the window and always elicits an ACK carrying the current window.
            out.counters.zeroWindowProbesSent += 1
            sendSegment(sequence: sndUna + -1, flags: .ack, &out)
            persistBackoff += 1
            persistDeadline = now + persistInterval
        }
        if let deadline = delayedACKDeadline, deadline <= now {
            delayedACKDeadline = nil
            sendACK(&out)
        }
    }
}
