public import NIOCore
import QUICWire

/// What a sent packet carried that must be sent again, or finalized, depending on its fate
/// (RFC 9000 §13.3: information is retransmitted, packets are not).
enum RetransmittableFrame: Sendable, Hashable {
    case crypto(offset: UInt64, length: Int)
    case stream(id: StreamID, offset: UInt64, length: Int, fin: Bool)
    case resetStream(StreamID)
    case stopSending(StreamID)
    case maxData
    case maxStreamData(StreamID)
    case maxStreams(bidirectional: Bool)
    case dataBlocked
    case streamDataBlocked(StreamID)
    case streamsBlocked(bidirectional: Bool)
    case newConnectionID(sequence: UInt64)
    case retireConnectionID(sequence: UInt64)
    case handshakeDone
    case datagram
    /// ADD_ADDRESS, REMOVE_ADDRESS, PUNCH_ME_NOW or OBSERVED_ADDRESS, kept whole: each is sent again on loss
    /// while it still says something (`NATTraversalFrameState.isStillUseful`).
    case natTraversal(Frame)
}

/// A packet we sent and have not yet seen acknowledged or declared lost (RFC 9002 Appendix A.1.1).
struct SentPacket: Sendable {
    let packetNumber: UInt64
    let timeSent: NIODeadline
    let size: Int
    let isAckEliciting: Bool
    let inFlight: Bool
    /// The largest packet number acknowledged by an ACK frame in this packet (RFC 9000 §13.2.4).
    let largestAcknowledgedInAck: UInt64?
    var frames: [RetransmittableFrame]
}

/// Sent packets of one packet-number space, indexed directly by packet number: we send packet numbers
/// consecutively, so `storage[pn - base]` finds a packet in O(1) and acknowledged ones are trimmed from the front.
struct SentPacketQueue: Sendable {
    private var storage: [SentPacket?] = []
    private var head = 0                 // index of the first live slot
    private var base: UInt64 = 0         // packet number of storage[0]
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ packet: SentPacket) {
        if storage.isEmpty { base = packet.packetNumber; head = 0 }
        // Packet numbers are consecutive; a skipped number (never sent) is a hole that stays nil.
        let index = Int(packet.packetNumber - base)
        while storage.count < index { storage.append(nil) }
        storage.append(packet)
        count += 1
    }

    /// Removes and returns the packet with this number, if it is still outstanding.
    mutating func remove(_ packetNumber: UInt64) -> SentPacket? {
        guard packetNumber >= base else { return nil }
        let offset = packetNumber - base
        guard offset < UInt64(storage.count), Int(offset) >= head, let packet = storage[Int(offset)] else { return nil }
        storage[Int(offset)] = nil
        count -= 1
        compact()
        return packet
    }

    /// Outstanding packets with numbers in `range`, ascending.
    func packetNumbers(in range: ClosedRange<UInt64>) -> [UInt64] {
        guard !storage.isEmpty, range.upperBound >= base else { return [] }
        let low = max(Int(clamping: range.lowerBound &- min(range.lowerBound, base)), head)
        let high = min(Int(clamping: range.upperBound - base), storage.count - 1)
        guard low <= high else { return [] }
        return (low...high).compactMap { storage[$0]?.packetNumber }
    }

    /// All outstanding packets, ascending.
    var all: [SentPacket] { storage[head...].compactMap { $0 } }

    /// The oldest outstanding packet.
    var first: SentPacket? { storage[head...].first { $0 != nil } ?? nil }

    /// The oldest outstanding packet that satisfies `predicate`.
    func first(where predicate: (SentPacket) -> Bool) -> SentPacket? {
        for slot in storage[head...] { if let packet = slot, predicate(packet) { return packet } }
        return nil
    }

    mutating func removeAll() -> [SentPacket] {
        let packets = all
        storage = []; head = 0; count = 0
        return packets
    }

    private mutating func compact() {
        while head < storage.count, storage[head] == nil { head += 1 }
        if head == storage.count {
            // Empty: the next append sets a new base.
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096, head * 2 > storage.count {
            storage.removeFirst(head)
            base += UInt64(head)
            head = 0
        }
    }
}
