// MARK: - Receive side storage: in-order bytes, out-of-order segments, receive credit

/// Bytes received from the kernel and not yet read, plus segments that arrived ahead of a gap.
///
/// Out-of-order segments are kept (up to `maxOutOfOrder`, all inside the advertised window, so memory is
/// bounded by the window) and merged when the gap fills; without SACK the kernel retransmits only the
/// first missing segment, and our cumulative ACK then jumps over what was kept.
struct ReceiveBuffer: Sendable {
    struct Pending: Sendable {
        var sequence: SequenceNumber
        var bytes: [UInt8]
        var fin: Bool
    }

    /// In-order, unread bytes.
    private(set) var ring: ByteRing
    /// Segments beyond `rcvNxt`, sorted by sequence number.
    private(set) var outOfOrder: [Pending] = []
    let maxOutOfOrder: Int
    /// Bytes handed out by `read` so far.
    private(set) var totalRead: UInt64 = 0
    /// Absolute limit on `totalRead + buffered` set by the receive credit (UInt64.max = no limit).
    private(set) var creditLimit: UInt64 = .max

    init(capacity: Int, maxOutOfOrder: Int) {
        ring = ByteRing(capacity: capacity)
        self.maxOutOfOrder = maxOutOfOrder
    }

    // MARK: - Window inputs

    /// What the receive credit still allows beyond the buffered bytes.
    var creditRoom: Int {
        let used = totalRead &+ UInt64(ring.count)
        guard creditLimit > used else { return 0 }
        return Int(clamping: creditLimit - used)
    }

    /// The owner can take `bytes` more after everything read so far.
    mutating func setCredit(_ bytes: Int) {
        let (limit, overflow) = totalRead.addingReportingOverflow(UInt64(max(bytes, 0)))
        creditLimit = overflow ? .max : limit
    }

    // MARK: - Data

    /// Appends in-order bytes; returns how many fit.
    mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int { ring.append(bytes) }

    /// Keeps a segment that starts beyond `rcvNxt`; false when the queue is full.
    mutating func storeOutOfOrder(_ sequence: SequenceNumber, _ bytes: UnsafeRawBufferPointer, fin: Bool) -> Bool {
        var index = outOfOrder.count
        while index > 0 && outOfOrder[index - 1].sequence > sequence { index -= 1 }
        if index > 0, outOfOrder[index - 1].sequence == sequence {
            // A retransmission of a segment we hold: keep the longer one.
            if bytes.count > outOfOrder[index - 1].bytes.count {
                outOfOrder[index - 1] = Pending(sequence: sequence, bytes: Array(bytes), fin: fin)
            }
            return true
        }
        guard outOfOrder.count < maxOutOfOrder else { return false }
        outOfOrder.insert(Pending(sequence: sequence, bytes: Array(bytes), fin: fin), at: index)
        return true
    }

    /// Moves every held segment that now touches `rcvNxt` into the ring, advancing `rcvNxt`.
    /// Returns whether something was merged and whether a FIN was reached.
    mutating func mergeOutOfOrder(_ rcvNxt: inout SequenceNumber) -> (merged: Bool, fin: Bool) {
        var merged = false
        while let first = outOfOrder.first, first.sequence <= rcvNxt {
            outOfOrder.removeFirst()
            let skip = rcvNxt - first.sequence
            if skip > first.bytes.count { continue }  // entirely old (its FIN, if any, was consumed)
            let taken = first.bytes.withUnsafeBytes { raw in
                ring.append(UnsafeRawBufferPointer(rebasing: raw[skip...]))
            }
            rcvNxt += taken
            merged = true
            if skip + taken < first.bytes.count { outOfOrder.removeAll(); return (merged, false) }
            if first.fin {
                outOfOrder.removeAll()
                return (merged, true)
            }
        }
        return (merged, false)
    }

    /// Hands out up to `max` in-order bytes.
    mutating func read(max: Int) -> [UInt8] {
        let bytes = ring.read(max: max)
        totalRead &+= UInt64(bytes.count)
        return bytes
    }
}
