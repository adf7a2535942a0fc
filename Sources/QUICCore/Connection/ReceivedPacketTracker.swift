public import NIOCore

/// Which packets of one packet-number space we received, and when an ACK is due (RFC 9000 §13.2).
struct ReceivedPacketTracker: Sendable {
    /// Received packet numbers still worth acknowledging (bounded: oldest ranges are dropped first).
    private(set) var received = RangeSet()
    private(set) var largestReceived: UInt64?
    private var largestReceivedTime: NIODeadline?
    /// Ack-eliciting packets received since the last ACK we sent.
    private var unacknowledgedAckEliciting = 0
    /// When an ACK must be sent at the latest (nil: no ACK pending).
    private(set) var ackDeadline: NIODeadline?
    /// Something arrived that our next packet should acknowledge (even if not urgent).
    private(set) var hasNewPackets = false

    /// RFC 9000 §13.2.3: ranges kept in an ACK frame; older ones are forgotten.
    static let maxRanges = 64

    /// Every packet number received, for duplicate detection (RFC 9000 §12.3) — kept apart from `received`,
    /// which forgets what the peer knows we acknowledged: a packet still missing below an acknowledged ACK
    /// (in flight on a slower path when the connection moved, DESIGN.md §6) is new when it arrives, not a
    /// duplicate. Bounded like `received`.
    private var seen = RangeSet()
    /// Packets below this are no longer tracked and treated as duplicates (RFC 9000 §12.3 allows a
    /// minimum packet number below which packets are discarded).
    private var floor: UInt64 = 0

    /// Whether `packetNumber` was already received (duplicate detection, RFC 9000 §12.3).
    func isDuplicate(_ packetNumber: UInt64) -> Bool {
        packetNumber < floor || seen.contains(packetNumber)
    }

    /// Records a packet. `immediate` is true for spaces that acknowledge at once (Initial, Handshake) and
    /// for out-of-order arrivals (RFC 9000 §13.2.1).
    mutating func record(packetNumber: UInt64, ackEliciting: Bool, now: NIODeadline, maxAckDelay: TimeAmount,
                         immediate: Bool) {
        let outOfOrder = largestReceived.map { packetNumber < $0 || packetNumber > $0 + 1 } ?? false
        received.insert(packetNumber)
        while received.count > Self.maxRanges { received.dropSmallest() }
        seen.insert(packetNumber)
        while seen.count > Self.maxRanges {
            seen.dropSmallest()
            floor = seen.min ?? floor
        }
        if largestReceived.map({ packetNumber > $0 }) ?? true {
            largestReceived = packetNumber
            largestReceivedTime = now
        }
        hasNewPackets = true
        guard ackEliciting else { return }
        unacknowledgedAckEliciting += 1
        // RFC 9000 §13.2.2: acknowledge at least every second ack-eliciting packet; §13.2.1: at once for
        // Initial/Handshake and when packets arrive out of order.
        if immediate || outOfOrder || unacknowledgedAckEliciting >= 2 {
            ackDeadline = now
        } else if ackDeadline == nil {
            ackDeadline = now + maxAckDelay
        }
    }

    /// Whether an ACK should go out in a packet built at `now`.
    func ackDue(now: NIODeadline) -> Bool {
        ackDeadline.map { $0 <= now } ?? false
    }

    /// Builds the ACK frame contents (ranges largest first, delay in microseconds scaled by the exponent).
    func makeAck(now: NIODeadline, ackDelayExponent: UInt64) -> (ranges: [ClosedRange<UInt64>], ackDelay: UInt64)? {
        guard !received.isEmpty else { return nil }
        let ranges = received.ranges.reversed().map { $0.lowerBound...($0.upperBound - 1) }
        var delay: UInt64 = 0
        if let time = largestReceivedTime, now > time {
            let micros = UInt64((now - time).nanoseconds / 1000)
            delay = micros >> min(ackDelayExponent, 20)
        }
        return (Array(ranges), delay)
    }

    /// An ACK was sent: nothing is pending until new packets arrive.
    mutating func onAckSent() {
        unacknowledgedAckEliciting = 0
        ackDeadline = nil
        hasNewPackets = false
    }

    /// The peer acknowledged one of our ACKs covering up to `largest`: no need to repeat older ranges
    /// (RFC 9000 §13.2.4).
    mutating func onAckAcknowledged(largest: UInt64) {
        // Keep `largest` itself so the set never empties and later ACK frames stay well-formed.
        received.removeAll(below: largest)
    }
}
