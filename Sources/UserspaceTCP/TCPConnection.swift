import DequeModule
import IPPacket
import NIOCore

// MARK: - One terminated kernel TCP connection (RFC 9293), passive side only
//
// The kernel always opens (the app connects to a virtual IP); we never do an active open.
//
//                      SYN for a new 4-tuple (event .connectRequested)
//   (none) ──────────────────────────────▶ AWAITING-ACCEPT ──refuse() / accept timeout──▶ RST+ACK, gone
//                                              │  retransmitted SYNs are absorbed
//                                              │ accept(): SYN-ACK (MSS, window scale)
//                                              ▼
//                                         SYN-RECEIVED ──RST──▶ gone      (SYN-ACK retransmitted on RTO)
//                                              │ ACK of our SYN (event .writable)
//                                              ▼
//       finish(): FIN ◀────────────────── ESTABLISHED ───────── FIN (event .finReceived) ──▶ CLOSE-WAIT
//             │                                                                                 │ finish(): FIN
//             ▼                                                                                 ▼
//        FIN-WAIT-1 ──ACK of FIN──▶ FIN-WAIT-2                                         LAST-ACK ──ACK of FIN──▶ gone
//             │ FIN                      │ FIN
//             ▼                          ▼
//          CLOSING ───ACK of FIN──▶ TIME-WAIT (timeWaitDuration) ──▶ gone
//
// From every state: a valid RST (event .reset) → gone; reset() → RST, gone; maxRetransmissions
// exceeded → RST (event .reset), gone. "gone" = state .closed, removed by the endpoint (event .closed).
//
// Not implemented, on purpose: SACK (the peer is the local kernel over a TUN: losses are rare and
// out-of-order segments are kept for reassembly anyway), timestamps (RTT is sampled per RFC 6298 §3 with
// Karn's rule instead), congestion control (no network between the kernel and us, only its window),
// urgent data (ignored), keep-alives (the stream's own idle timeout covers a vanished app).

/// The RFC 9293 state of a flow.
public enum TCPConnectionState: Hashable, Sendable {
    case awaitingAccept, synReceived, established, finWait1, finWait2, closing, timeWait, closeWait, lastAck, closed
}

/// Everything a connection produces, owned by the endpoint and lent to the connection per call.
struct TCPOutput {
    var packets = Deque<[UInt8]>()
    var events = Deque<TCPEvent>()
    var counters = TCPCounters()
    var nextIPIdentification: UInt16 = 0
}

struct TCPConnection {
    let id: FlowID
    let tuple: FlowTuple
    /// Source = service VIP, destination = the app: how our packets are addressed.
    let addresses: IPAddressPair
    let configuration: TCPConfiguration
    let ourMSS: Int
    var state: TCPConnectionState = .awaitingAccept

    // MARK: Send sequence space (RFC 9293 §3.3.1)
    let iss: SequenceNumber
    var sndUna: SequenceNumber
    var sndNxt: SequenceNumber
    /// The peer's window in bytes (already scaled).
    var sndWnd = 0
    var sndWl1: SequenceNumber
    var sndWl2: SequenceNumber
    /// The peer's window-scale shift (0 unless both sides sent the option).
    let sendScale: Int
    let sendMSS: Int
    /// Bytes from `sndUna` on: unacknowledged then unsent.
    var sendBuffer: ByteRing
    var finRequested = false
    /// The sequence number our FIN occupies, once sent.
    var finSequence: SequenceNumber?
    var duplicateACKs = 0
    /// NewReno-style recovery (RFC 6582): partial ACKs below this retransmit the next segment at once.
    var recoveryPoint: SequenceNumber?
    var consecutiveRetransmissions = 0
    var rtt: RetransmissionTimer
    /// Karn's rule: one timed segment at a time, never a retransmitted one.
    var rttProbe: (sequence: SequenceNumber, sentAt: NIODeadline)?
    var writeBlocked = false
    var persistBackoff = 0

    // MARK: Receive sequence space
    let irs: SequenceNumber
    var rcvNxt: SequenceNumber
    /// Our window-scale shift (0 unless the SYN carried the option).
    let receiveScale: Int
    /// The SYN offered window scaling, so the SYN-ACK answers with our shift (RFC 7323 §2.2).
    let windowScaleNegotiated: Bool
    var receive: ReceiveBuffer
    /// RFC 9293 §3.8.6.2.2: the right edge we advertised; never moved left.
    var advertisedRightEdge: SequenceNumber
    var unackedSegments = 0
    var ackNow = false
    var readableSignaled = false

    // MARK: Timers (one deadline per kind; `nextDeadline` is the minimum)
    var retransmitDeadline: NIODeadline?
    var persistDeadline: NIODeadline?
    var delayedACKDeadline: NIODeadline?
    /// Accept timeout in AWAITING-ACCEPT, 2×MSL substitute in TIME-WAIT.
    var stateDeadline: NIODeadline?

    // MARK: - Creation from a SYN

    init(id: FlowID, tuple: FlowTuple, addresses: IPAddressPair, syn: TCPHeader, iss: UInt32,
         configuration: TCPConfiguration, now: NIODeadline) {
        self.id = id
        self.tuple = tuple
        self.addresses = addresses
        self.configuration = configuration
        let ipv6: Bool
        if case .v6 = addresses { ipv6 = true } else { ipv6 = false }
        ourMSS = configuration.maximumSegmentSize(ipv6: ipv6)
        // RFC 9293 §3.7.1: without the option assume 536 (IPv4) / 1220 (IPv6, RFC 8200 §5).
        let peerMSS = syn.options.maximumSegmentSize.map(Int.init) ?? (ipv6 ? 1220 : 536)
        sendMSS = max(min(peerMSS, ourMSS), 64)
        // RFC 7323 §2.2: scaling is used only if both SYNs carry the option; we answer it only when offered.
        windowScaleNegotiated = syn.options.windowScale != nil
        if let peerShift = syn.options.windowScale {
            sendScale = Int(peerShift)
            receiveScale = Int(configuration.receiveWindowScale)
        } else {
            sendScale = 0
            receiveScale = 0
        }
        self.iss = SequenceNumber(iss)
        sndUna = self.iss
        sndNxt = self.iss
        sndWl1 = SequenceNumber(syn.sequenceNumber)
        sndWl2 = self.iss
        sndWnd = Int(syn.window)  // RFC 7323 §2.2: the SYN's window is never scaled
        sendBuffer = ByteRing(capacity: configuration.sendBufferSize)
        irs = SequenceNumber(syn.sequenceNumber)
        rcvNxt = irs + 1
        advertisedRightEdge = rcvNxt
        // Slack of one scale unit: keeping the right edge when rounding up to the scale (see `windowField`).
        receive = ReceiveBuffer(capacity: configuration.receiveBufferSize + (1 << receiveScale),
                                maxOutOfOrder: configuration.maxOutOfOrderSegments)
        rtt = RetransmissionTimer(initial: configuration.initialRTO, minimum: configuration.minimumRTO,
                                  maximum: configuration.maximumRTO)
        stateDeadline = now + configuration.acceptTimeout
    }

    /// The earliest armed timer.
    var nextDeadline: NIODeadline? {
        guard state != .closed else { return nil }
        return [retransmitDeadline, persistDeadline, delayedACKDeadline, stateDeadline].compactMap { $0 }.min()
    }

    var isClosed: Bool { state == .closed }

    /// Set when the flow ended abnormally (RST either way, refusal, abort): unread bytes are discarded.
    /// After a graceful close the endpoint keeps the flow until its unread bytes are read.
    var discardUnread = false

    // MARK: - Owner commands

    /// accept(): answer the SYN with SYN-ACK.
    mutating func accept(now: NIODeadline, _ out: inout TCPOutput) {
        guard state == .awaitingAccept else { return }
        state = .synReceived
        stateDeadline = nil
        out.counters.flowsAccepted += 1
        sendSynAck(now: now, &out)
        rttProbe = (iss, now)
        retransmitDeadline = now + rtt.rto
    }

    /// refuse(): RFC 9293 §3.10.7.2 answer to a SYN nobody listens for: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>.
    mutating func refuse(_ out: inout TCPOutput) {
        guard state == .awaitingAccept else { return }
        out.counters.flowsRefused += 1
        rejectSYN(&out)
    }

    /// Answers the SYN with RST+ACK and ends the flow.
    mutating func rejectSYN(_ out: inout TCPOutput) {
        sendControl(sequence: SequenceNumber(0), acknowledgment: irs + 1, flags: [.rst, .ack], &out)
        out.counters.resetsSent += 1
        state = .closed
        discardUnread = true
    }

    /// reset(): the stream was reset; abort with RST (no `.reset` event: the owner asked for it).
    mutating func abort(_ out: inout TCPOutput) {
        switch state {
        case .awaitingAccept:
            refuse(&out)
            return
        case .closed, .timeWait:
            break
        default:
            sendControl(sequence: sndNxt, acknowledgment: rcvNxt, flags: [.rst, .ack], &out)
            out.counters.resetsSent += 1
        }
        state = .closed
        discardUnread = true
    }

    /// Queues bytes from the stream; returns how many fit in the send buffer.
    mutating func write(_ bytes: UnsafeRawBufferPointer, now: NIODeadline, _ out: inout TCPOutput) -> Int {
        switch state {
        case .synReceived, .established, .closeWait: break
        default: return 0
        }
        guard !finRequested else { return 0 }
        let taken = sendBuffer.append(bytes)
        if taken < bytes.count { writeBlocked = true }
        flush(now: now, &out)
        return taken
    }

    /// The stream ended: send our FIN after everything queued.
    mutating func finish(now: NIODeadline, _ out: inout TCPOutput) {
        switch state {
        case .synReceived, .established, .closeWait: break
        default: return
        }
        finRequested = true
        flush(now: now, &out)
    }

    /// Hands out in-order bytes; opens the window again if that freed enough room.
    mutating func read(max: Int, _ out: inout TCPOutput) -> [UInt8] {
        let bytes = receive.read(max: max)
        readableSignaled = false
        sendWindowUpdateIfUseful(&out)
        return bytes
    }

    mutating func setReceiveCredit(_ bytes: Int, _ out: inout TCPOutput) {
        receive.setCredit(bytes)
        sendWindowUpdateIfUseful(&out)
    }

    // MARK: - Receive window (RFC 9293 §3.8.6.2.2)

    /// The window we can offer now: buffer room and credit, never pulling the right edge left.
    var availableWindow: Int {
        let fresh = min(receive.ring.room - (1 << receiveScale), receive.creditRoom, 65535 << receiveScale)
        return max(fresh, advertisedRightEdge - rcvNxt, 0)
    }

    /// The window field to put in a segment, recording the right edge it advertises.
    mutating func windowField(_ out: inout TCPOutput) -> UInt16 {
        let window = availableWindow
        var field = window >> receiveScale
        // Rounding down to the scale unit must not move the right edge left: round up then (the ring
        // has one scale unit of slack for exactly this).
        if rcvNxt + (field << receiveScale) < advertisedRightEdge { field += 1 }
        field = min(field, 65535)
        let edge = rcvNxt + (field << receiveScale)
        if edge > advertisedRightEdge { advertisedRightEdge = edge }
        if field == 0 { out.counters.zeroWindowsAdvertised += 1 }
        return UInt16(field)
    }

    /// RFC 9293 §3.8.6.2.2 (receiver SWS avoidance): announce a larger window only when it grows by at
    /// least min(half the buffer, one MSS).
    mutating func sendWindowUpdateIfUseful(_ out: inout TCPOutput) {
        switch state {
        case .established, .finWait1, .finWait2: break
        default: return
        }
        let current = max(advertisedRightEdge - rcvNxt, 0)
        let threshold = min(configuration.receiveBufferSize / 2, ourMSS)
        guard availableWindow - current >= max(threshold, 1) else { return }
        out.counters.windowUpdatesSent += 1
        sendACK(&out)
    }

    // MARK: - Segment output

    /// Builds and queues one segment carrying `payloadCount` bytes from `sendBuffer` at `payloadOffset`.
    mutating func sendSegment(sequence: SequenceNumber, flags: TCPFlags, payloadOffset: Int = 0, payloadCount: Int = 0,
                              options: TCPOptions = TCPOptions(), _ out: inout TCPOutput) {
        var flags = flags
        var window: UInt16 = 0
        if flags.contains(.ack) || flags.contains(.syn) {
            flags.insert(.ack)
            if flags.contains(.syn) {
                // RFC 7323 §2.2: the window in a SYN is never scaled.
                let w = min(availableWindow, 65535)
                advertisedRightEdge = max(advertisedRightEdge, rcvNxt + w)
                window = UInt16(w)
            } else {
                window = windowField(&out)
            }
            unackedSegments = 0
            ackNow = false
            delayedACKDeadline = nil
        }
        let header = TCPHeader(sourcePort: tuple.servicePort, destinationPort: tuple.clientPort,
                               sequenceNumber: sequence.raw, acknowledgmentNumber: rcvNxt.raw,
                               flags: flags, window: window, options: options)
        let buffer = sendBuffer
        let packet = IPPacketBuilder.tcp(addresses, header: header, payloadCount: payloadCount,
                                         fields: IPHeaderFields(identification: out.nextIPIdentification)) { dst in
            buffer.copy(from: payloadOffset, count: payloadCount, into: dst)
        }
        out.nextIPIdentification &+= 1
        out.packets.append(packet)
        out.counters.packetsSent += 1
    }

    /// A segment with no payload and explicit sequence/ack (RSTs, which must not touch window state).
    func sendControl(sequence: SequenceNumber, acknowledgment: SequenceNumber, flags: TCPFlags,
                     _ out: inout TCPOutput) {
        let header = TCPHeader(sourcePort: tuple.servicePort, destinationPort: tuple.clientPort,
                               sequenceNumber: sequence.raw, acknowledgmentNumber: acknowledgment.raw,
                               flags: flags, window: 0)
        out.packets.append(IPPacketBuilder.tcp(addresses, header: header,
                                               fields: IPHeaderFields(identification: out.nextIPIdentification)))
        out.nextIPIdentification &+= 1
        out.counters.packetsSent += 1
    }

    mutating func sendACK(_ out: inout TCPOutput) {
        sendSegment(sequence: sndNxt, flags: .ack, &out)
    }

    mutating func sendSynAck(now: NIODeadline, _ out: inout TCPOutput) {
        var options = TCPOptions(maximumSegmentSize: UInt16(clamping: ourMSS))
        if windowScaleNegotiated { options.windowScale = UInt8(receiveScale) }
        sendSegment(sequence: iss, flags: [.syn, .ack], options: options, &out)
        if sndNxt == iss { sndNxt = iss + 1 }
    }

}
