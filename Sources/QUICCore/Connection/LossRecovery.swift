public import NIOCore
public import QUICWire

/// Loss detection and congestion control for one connection (RFC 9002 §6, §7 and Appendix A).
///
/// The connection reports every packet it sends and every ACK frame it receives; this type decides which
/// packets are acknowledged or lost, keeps the RTT estimate, the congestion window and bytes in flight, and
/// computes the loss-detection timer (loss time or PTO). The connection turns lost packets back into frames.
struct LossRecovery: Sendable {
    /// Outcome of an ACK frame or a timer: what the connection must finalize or retransmit.
    struct Outcome: Sendable {
        var acknowledged: [SentPacket] = []
        var lost: [SentPacket] = []
    }

    private(set) var rtt: RTTEstimator
    private(set) var congestion: any CongestionController
    private(set) var pacer: Pacer
    private(set) var bytesInFlight = 0
    private(set) var ptoCount = 0
    /// The sender ran out of data before filling the congestion window (RFC 9002 §7.8): acknowledgements
    /// then do not grow the window.
    var isApplicationLimited = false
    private var sent: [SentPacketQueue] = Array(repeating: SentPacketQueue(), count: 3)
    private var largestAcked: [UInt64?] = [nil, nil, nil]
    private var lossTime: [NIODeadline?] = [nil, nil, nil]
    private var lastAckElicitingTime: [NIODeadline?] = [nil, nil, nil]
    private var ackElicitingInFlight: [Int] = [0, 0, 0]
    private var discarded: [Bool] = [false, false, false]
    /// Peer's max_ack_delay (RFC 9000 §18.2); applied to the application space only.
    var peerMaxAckDelay: TimeAmount = .milliseconds(25)
    /// Peer's ack_delay_exponent for decoding ACK frames.
    var peerAckDelayExponent: UInt64 = 3
    private let algorithm: CongestionControlAlgorithm
    private let maxDatagramSize: Int

    /// RFC 9002 §6.1.1 kPacketThreshold.
    static let packetThreshold: UInt64 = 3

    init(initialRTT: TimeAmount, algorithm: CongestionControlAlgorithm, maxDatagramSize: Int) {
        rtt = RTTEstimator(initialRTT: initialRTT)
        self.algorithm = algorithm
        self.maxDatagramSize = maxDatagramSize
        congestion = algorithm.makeController(maxDatagramSize: maxDatagramSize)
        pacer = Pacer(maxDatagramSize: maxDatagramSize)
    }

    // MARK: - Sending

    /// RFC 9002 Appendix A.5 OnPacketSent.
    mutating func onPacketSent(_ packet: SentPacket, space: PacketNumberSpace) {
        if packet.inFlight {
            if packet.isAckEliciting {
                lastAckElicitingTime[space.rawValue] = packet.timeSent
                ackElicitingInFlight[space.rawValue] += 1
            }
            bytesInFlight += packet.size
            pacer.onSent(bytes: packet.size, now: packet.timeSent)
        }
        sent[space.rawValue].append(packet)
    }

    /// Whether the congestion window allows another packet of `bytes` in flight.
    func congestionAllows(bytes: Int) -> Bool {
        bytesInFlight + bytes <= congestion.congestionWindow
    }

    /// When pacing allows the next full-size packet (nil: now).
    mutating func pacingDelay(now: NIODeadline) -> NIODeadline? {
        pacer.delay(bytes: maxDatagramSize, congestionWindow: congestion.congestionWindow,
                    smoothedRTT: rtt.smoothedRTT, now: now)
    }

    /// The largest packet number the peer acknowledged in `space` (for packet-number encoding, RFC 9000 §17.1).
    func largestAcknowledged(_ space: PacketNumberSpace) -> UInt64? { largestAcked[space.rawValue] }

    func hasAckElicitingInFlight(_ space: PacketNumberSpace) -> Bool {
        ackElicitingInFlight[space.rawValue] > 0
    }

    /// Keeps the per-space count of ack-eliciting packets in flight as packets leave the queue.
    private mutating func leftFlight(_ packet: SentPacket, space: PacketNumberSpace) {
        guard packet.inFlight else { return }
        bytesInFlight -= packet.size
        if packet.isAckEliciting { ackElicitingInFlight[space.rawValue] -= 1 }
    }

    var hasAnyAckElicitingInFlight: Bool {
        PacketNumberSpace.allCases.contains { hasAckElicitingInFlight($0) }
    }

    /// Send time of the oldest ack-eliciting packet in flight in `space` (for the application's path liveness).
    func oldestAckElicitingInFlight(_ space: PacketNumberSpace) -> NIODeadline? {
        guard hasAckElicitingInFlight(space) else { return nil }
        return sent[space.rawValue].first { $0.isAckEliciting && $0.inFlight }?.timeSent
    }

    // MARK: - Acknowledgements

    /// RFC 9002 Appendix A.7 OnAckReceived. Throws PROTOCOL_VIOLATION when the peer acknowledges a packet
    /// number we never sent (RFC 9000 §13.1).
    mutating func onAckReceived(_ ack: AckFrame, space: PacketNumberSpace, now: NIODeadline,
                                handshakeConfirmed: Bool, nextPacketNumber: UInt64) throws(QUICWireError) -> Outcome {
        guard ack.largestAcknowledged < nextPacketNumber else {
            throw QUICWireError(.protocolViolation, frameType: 0x02, "ACK of a packet number never sent")
        }
        let index = space.rawValue
        if largestAcked[index].map({ ack.largestAcknowledged > $0 }) ?? true {
            largestAcked[index] = ack.largestAcknowledged
        }
        var outcome = Outcome()
        for range in ack.ranges {
            for packetNumber in sent[index].packetNumbers(in: range) {
                if let packet = sent[index].remove(packetNumber) { outcome.acknowledged.append(packet) }
            }
        }
        guard !outcome.acknowledged.isEmpty else { return outcome }

        // RFC 9002 §5.1: an RTT sample when the largest acknowledged is newly acknowledged and any newly
        // acknowledged packet was ack-eliciting.
        if let largest = outcome.acknowledged.first(where: { $0.packetNumber == ack.largestAcknowledged }),
           outcome.acknowledged.contains(where: \.isAckEliciting) {
            let latest = now - largest.timeSent
            var ackDelay = TimeAmount.zero
            if space == .applicationData {
                let micros = ack.ackDelay.multipliedReportingOverflow(by: 1 << min(peerAckDelayExponent, 20))
                ackDelay = micros.overflow ? peerMaxAckDelay : .microseconds(Int64(clamping: micros.partialValue))
                // RFC 9002 §5.3: once confirmed, the ack delay is capped by max_ack_delay.
                if handshakeConfirmed { ackDelay = min(ackDelay, peerMaxAckDelay) }
            }
            rtt.update(latestRTT: max(latest, .nanoseconds(1)), ackDelay: ackDelay, handshakeConfirmed: handshakeConfirmed)
        }

        outcome.lost = detectLostPackets(space: space, now: now)
        for packet in outcome.acknowledged where packet.inFlight {
            leftFlight(packet, space: space)
            congestion.onAcked(bytes: packet.size, timeSent: packet.timeSent, now: now, rtt: rtt,
                               isAppLimited: isApplicationLimited)
        }
        onPacketsLost(outcome.lost, space: space, now: now)
        return outcome
    }

    /// RFC 9002 Appendix A.7: reset the PTO backoff after an acknowledgement (except for a client that
    /// does not yet know whether the server validated its address).
    mutating func resetPTOBackoff() { ptoCount = 0 }

    // MARK: - Loss detection

    /// RFC 9002 Appendix A.10 DetectAndRemoveLostPackets.
    private mutating func detectLostPackets(space: PacketNumberSpace, now: NIODeadline) -> [SentPacket] {
        let index = space.rawValue
        guard let largest = largestAcked[index] else { return [] }
        lossTime[index] = nil
        let lossDelay = rtt.lossDelay
        let lostSendTime = now - lossDelay
        var lost: [SentPacket] = []
        // Both criteria are monotonic in the packet number (packets are sent in order), so the lost packets
        // are a prefix of the outstanding ones: stop at the first packet that is not (yet) lost.
        while let packet = sent[index].first, packet.packetNumber <= largest {
            if packet.timeSent <= lostSendTime || largest >= packet.packetNumber + Self.packetThreshold {
                if let removed = sent[index].remove(packet.packetNumber) { lost.append(removed) }
            } else {
                lossTime[index] = packet.timeSent + lossDelay
                break
            }
        }
        return lost
    }

    /// RFC 9002 Appendix A.11 OnPacketsLost, including persistent congestion (§7.6).
    private mutating func onPacketsLost(_ lost: [SentPacket], space: PacketNumberSpace, now: NIODeadline) {
        let inFlightLost = lost.filter(\.inFlight)
        guard !inFlightLost.isEmpty else { return }
        for packet in inFlightLost { leftFlight(packet, space: space) }
        if let latest = inFlightLost.map(\.timeSent).max() {
            congestion.onCongestionEvent(timeSent: latest, now: now)
        }
        // §7.6.1: a loss period longer than the persistent congestion duration, with an RTT sample.
        let ackEliciting = inFlightLost.filter(\.isAckEliciting)
        if rtt.hasSample, let first = ackEliciting.first?.timeSent, let last = ackEliciting.last?.timeSent {
            let duration = rtt.probeTimeout(maxAckDelay: peerMaxAckDelay, includeMaxAckDelay: true)
            if last - first > duration * 3 {
                congestion.onPersistentCongestion()
            }
        }
    }

    // MARK: - Timer

    /// What the loss-detection timer does when it fires.
    enum TimerKind: Sendable, Equatable {
        case lossTime(PacketNumberSpace)
        case probeTimeout(PacketNumberSpace)
    }

    /// RFC 9002 Appendix A.8 SetLossDetectionTimer: when the loss-detection timer fires and why.
    /// - Parameters:
    ///   - peerAwaitingAddressValidation: true for a client until the server validated its address (§6.2.2.1).
    ///   - amplificationBlocked: a server that may not send anything more on this path (§6.2.2.1).
    func lossDetectionTimer(handshakeConfirmed: Bool, peerAwaitingAddressValidation: Bool,
                            amplificationBlocked: Bool, hasHandshakeKeys: Bool,
                            now: NIODeadline) -> (deadline: NIODeadline, kind: TimerKind)? {
        if let (time, space) = earliestLossTime() { return (time, .lossTime(space)) }
        if amplificationBlocked { return nil }
        if !hasAnyAckElicitingInFlight && !peerAwaitingAddressValidation { return nil }
        return probeTimeout(handshakeConfirmed: handshakeConfirmed, hasHandshakeKeys: hasHandshakeKeys, now: now)
            .map { ($0.deadline, .probeTimeout($0.space)) }
    }

    private func earliestLossTime() -> (NIODeadline, PacketNumberSpace)? {
        var result: (NIODeadline, PacketNumberSpace)?
        for space in PacketNumberSpace.allCases {
            guard let time = lossTime[space.rawValue] else { continue }
            if result.map({ time < $0.0 }) ?? true { result = (time, space) }
        }
        return result
    }

    /// RFC 9002 Appendix A.8 GetPtoTimeAndSpace.
    private func probeTimeout(handshakeConfirmed: Bool, hasHandshakeKeys: Bool,
                              now: NIODeadline) -> (deadline: NIODeadline, space: PacketNumberSpace)? {
        let backoff = Int64(1) << Int64(min(ptoCount, 16))
        let base = rtt.probeTimeout(maxAckDelay: peerMaxAckDelay, includeMaxAckDelay: false)
        let duration = TimeAmount.nanoseconds(base.nanoseconds.multipliedReportingOverflow(by: backoff).partialValue)
        // Anti-deadlock (§6.2.2.1): a client with nothing in flight arms the PTO from now.
        if !hasAnyAckElicitingInFlight {
            return (now + duration, hasHandshakeKeys ? .handshake : .initial)
        }
        var result: (NIODeadline, PacketNumberSpace)?
        for space in PacketNumberSpace.allCases {
            guard !discarded[space.rawValue], hasAckElicitingInFlight(space),
                  let last = lastAckElicitingTime[space.rawValue] else { continue }
            var spaceDuration = duration
            if space == .applicationData {
                // §6.2.1: no application-data PTO before the handshake is confirmed.
                if !handshakeConfirmed { return result.map { ($0.0, $0.1) } }
                spaceDuration = spaceDuration + TimeAmount.nanoseconds(
                    peerMaxAckDelay.nanoseconds.multipliedReportingOverflow(by: backoff).partialValue)
            }
            let deadline = last + spaceDuration
            if result.map({ deadline < $0.0 }) ?? true { result = (deadline, space) }
        }
        return result.map { ($0.0, $0.1) }
    }

    /// RFC 9002 Appendix A.9 OnLossDetectionTimeout, loss-time branch: declares packets lost.
    mutating func onLossTimeout(space: PacketNumberSpace, now: NIODeadline) -> [SentPacket] {
        let lost = detectLostPackets(space: space, now: now)
        onPacketsLost(lost, space: space, now: now)
        return lost
    }

    /// RFC 9002 Appendix A.9, PTO branch: backs off; the connection sends the probes.
    mutating func onProbeTimeout() { ptoCount += 1 }

    /// Ack-eliciting packets still outstanding in `space` (the data a probe should carry again).
    func outstandingPackets(in space: PacketNumberSpace) -> [SentPacket] {
        sent[space.rawValue].all
    }

    // MARK: - Key discard and path changes

    /// RFC 9002 §6.4: when keys of a space are discarded, its packets no longer count in flight.
    mutating func discard(space: PacketNumberSpace) {
        let index = space.rawValue
        for packet in sent[index].removeAll() { leftFlight(packet, space: space) }
        lossTime[index] = nil
        lastAckElicitingTime[index] = nil
        discarded[index] = true
        ptoCount = 0
    }

    /// Forgets the outstanding packets of a space without declaring them lost to congestion control, and
    /// returns them so their data can be sent again: after a Retry (RFC 9000 §17.2.5.3), and for the packets
    /// of a path the connection left (their loss says nothing about the new path's capacity, RFC 9000 §9.4).
    mutating func abandonOutstanding(space: PacketNumberSpace) -> [SentPacket] {
        let packets = sent[space.rawValue].removeAll()
        for packet in packets { leftFlight(packet, space: space) }
        lossTime[space.rawValue] = nil
        return packets
    }

    /// RFC 9000 §9.4: a new path starts with fresh congestion control and RTT state — and without the PTO
    /// backoff (RFC 9002 §6.2.1): the backoff measured the old path's silence, the new path gave no reason.
    /// - Parameter rtt: the new path's own measurement, if its validation made one.
    mutating func resetForNewPath(rtt measured: RTTEstimator? = nil) {
        ptoCount = 0
        rtt.reset()
        if let measured, measured.hasSample { rtt = measured }
        congestion = algorithm.makeController(maxDatagramSize: maxDatagramSize)
        pacer = Pacer(maxDatagramSize: maxDatagramSize)
    }
}
