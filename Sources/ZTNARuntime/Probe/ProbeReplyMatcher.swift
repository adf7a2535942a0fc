public import IPPacket

/// Matches the packets that come back through a probe's tunnel against what the probe sent (sans-IO: times
/// are passed in, so the whole policy is testable on bytes).
///
/// A reply is *ours* when it is UDP from the service's virtual IP and port to the agent's tunnel address and
/// the probe's source port — exactly how the connector rebuilds a backend's answer (DESIGN.md §4). Anything
/// else is *foreign*: counted by reason, never matched. An ours reply is then classified by the sequence number
/// in its first 8 bytes (`ProbePayload`): the first intact answer of a sent packet, a duplicate, a corrupted
/// answer (wrong bytes or size), or an answer to a packet never sent.
public struct ProbeReplyMatcher: Sendable {
    /// Why a packet was not taken as a reply.
    public enum ForeignReason: String, Sendable, Hashable, Codable, CaseIterable {
        /// Not a valid IP packet (or a bad checksum).
        case malformed
        /// A valid IP packet, but not UDP (ICMP, TCP, …).
        case notUDP
        /// UDP, but not from the virtual IP to the tunnel address.
        case wrongAddress
        /// UDP between the right addresses, but not from the service port to the probe's source port.
        case wrongPort
    }

    /// What one received packet turned out to be.
    public enum Disposition: Sendable, Hashable {
        /// The first intact reply to packet `sequence`.
        case reply(sequence: UInt64)
        /// Another reply to a packet already answered.
        case duplicate(sequence: UInt64)
        /// Ours, but its bytes differ from what was sent (`sequence` nil: too short to carry one).
        case corrupted(sequence: UInt64?)
        /// Ours and well-formed, but answering a sequence number that was never sent.
        case unexpected(sequence: UInt64)
        /// Not a reply of this probe.
        case foreign(ForeignReason)

        /// Whether the packet belonged to this probe's flow (the packet consumer takes it).
        public var isOurs: Bool {
            if case .foreign = self { return false }
            return true
        }
    }

    /// One planned packet: when it was sent (nil: not sent) and what came back for it.
    struct Slot {
        var sentAt: ContinuousClock.Instant?
        var size: Int32 = 0
        /// Replies attributed to this packet (intact or not), saturating.
        var replies: UInt16 = 0
        var intact = false
        var corrupted = false
    }

    public let virtualIP: IPAddress
    public let servicePort: UInt16
    public let tunnelAddress: IPAddress
    public let sourcePort: UInt16
    public let payload: ProbePayload
    /// Packets whose round-trip times are recorded (the paced ones: a burst measures queues, not the path).
    public let timedSequences: Range<UInt64>

    private(set) var slots: [Slot]
    /// Sent packets that have no reply yet.
    public private(set) var awaiting = 0
    public private(set) var foreign: [ForeignReason: Int] = [:]
    /// Replies that were ours but corrupted, including those too short to carry a sequence number.
    public private(set) var corruptedReplies = 0
    /// Well-formed replies answering a sequence number never sent.
    public private(set) var unexpectedReplies = 0
    public private(set) var duplicateReplies = 0
    /// Round-trip times of the first intact replies to `timedSequences`, in arrival order.
    public private(set) var roundTrips: [Duration] = []

    /// - Parameter capacity: how many packets (sequence numbers `0..<capacity`) the run may send.
    public init(virtualIP: IPAddress, servicePort: UInt16, tunnelAddress: IPAddress, sourcePort: UInt16,
                payload: ProbePayload, capacity: Int, timedSequences: Range<UInt64>) {
        self.virtualIP = virtualIP
        self.servicePort = servicePort
        self.tunnelAddress = tunnelAddress
        self.sourcePort = sourcePort
        self.payload = payload
        self.timedSequences = timedSequences
        slots = Array(repeating: Slot(), count: max(0, capacity))
    }

    // MARK: - Sending

    /// Records that packet `sequence` of `size` payload bytes is being sent at `now` (call before handing it
    /// to the tunnel: its reply may come back before the send call returns). Ignored outside the capacity.
    public mutating func recordSent(sequence: UInt64, size: Int, at now: ContinuousClock.Instant) {
        guard let index = slotIndex(sequence), slots[index].sentAt == nil else { return }
        slots[index].sentAt = now
        slots[index].size = Int32(clamping: size)
        if slots[index].replies == 0 { awaiting += 1 }
    }

    /// Takes back `recordSent` for a packet the tunnel refused.
    public mutating func cancelSent(sequence: UInt64) {
        guard let index = slotIndex(sequence), slots[index].sentAt != nil else { return }
        slots[index].sentAt = nil
        if slots[index].replies == 0 { awaiting -= 1 }
    }

    // MARK: - Receiving (peer bytes: total)

    /// Classifies one received tunnel packet and records it.
    @discardableResult
    public mutating func handle(_ bytes: [UInt8], at now: ContinuousClock.Instant) -> Disposition {
        let packet: IPPacket
        do throws(IPPacketError) {
            packet = try IPPacket(parsing: bytes)
        } catch {
            return foreign(.malformed)
        }
        guard case .udp(let header) = packet.transport else { return foreign(.notUDP) }
        guard packet.addresses.source == virtualIP, packet.addresses.destination == tunnelAddress else {
            return foreign(.wrongAddress)
        }
        guard header.sourcePort == servicePort, header.destinationPort == sourcePort else { return foreign(.wrongPort) }
        let body = packet.payload
        guard let sequence = ProbePayload.sequence(of: body) else {
            corruptedReplies += 1
            return .corrupted(sequence: nil)
        }
        guard let index = slotIndex(sequence), let sentAt = slots[index].sentAt else {
            unexpectedReplies += 1
            return .unexpected(sequence: sequence)
        }
        let first = slots[index].replies == 0
        if first { awaiting -= 1 }
        if slots[index].replies < .max { slots[index].replies += 1 }
        guard payload.matches(body, sequence: sequence, size: Int(slots[index].size)) else {
            slots[index].corrupted = true
            corruptedReplies += 1
            return .corrupted(sequence: sequence)
        }
        guard !slots[index].intact else {
            duplicateReplies += 1
            return .duplicate(sequence: sequence)
        }
        slots[index].intact = true
        if first, timedSequences.contains(sequence) { roundTrips.append(sentAt.duration(to: now)) }
        // A corrupted reply followed by an intact one: the intact one is the second reply, a duplicate too.
        if !first { duplicateReplies += 1 }
        return .reply(sequence: sequence)
    }

    // MARK: - Outcome

    /// What happened to the packets `range` (clamped to the capacity).
    public func outcome(of range: Range<UInt64>) -> ProbeOutcome {
        var outcome = ProbeOutcome()
        let lower = Int(clamping: range.lowerBound), upper = Int(clamping: range.upperBound)
        guard lower < min(upper, slots.count) else { return outcome }
        for index in lower..<min(upper, slots.count) where slots[index].sentAt != nil {
            let slot = slots[index]
            let sequence = UInt64(index)
            outcome.sent += 1
            if slot.replies > 0 { outcome.answered += 1 } else { outcome.missing.append(sequence) }
            if slot.intact { outcome.intact += 1 }
            if slot.replies > 1 { outcome.duplicated.append(sequence) }
            if slot.corrupted { outcome.corrupted.append(sequence) }
        }
        return outcome
    }

    /// Whether packet `sequence` was sent.
    public func wasSent(_ sequence: UInt64) -> Bool {
        guard let index = slotIndex(sequence) else { return false }
        return slots[index].sentAt != nil
    }

    /// Whether packet `sequence` got an intact reply.
    public func wasEchoed(_ sequence: UInt64) -> Bool {
        guard let index = slotIndex(sequence) else { return false }
        return slots[index].intact
    }

    // MARK: - Helpers

    private mutating func foreign(_ reason: ForeignReason) -> Disposition {
        foreign[reason, default: 0] += 1
        return .foreign(reason)
    }

    private func slotIndex(_ sequence: UInt64) -> Int? {
        guard sequence < UInt64(slots.count) else { return nil }
        return Int(sequence)
    }
}
