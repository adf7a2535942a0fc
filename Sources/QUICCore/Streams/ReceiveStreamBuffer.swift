import NIOCore

/// Reassembly of the bytes received on one stream, or on the CRYPTO stream of one encryption level
/// (RFC 9000 §2.2: data may arrive out of order, duplicated or overlapping; it is delivered in order).
///
/// Only new bytes are stored, as segments sorted by offset that never overlap; `received` records every
/// byte ever received (including the part already read) so duplicates are recognised in one search. The
/// common in-order case appends one segment and, when the caller hands over a whole array, copies nothing.
struct ReceiveStreamBuffer: Sendable {
    /// Violations the caller maps to transport errors: FINAL_SIZE_ERROR for the first two (RFC 9000 §4.5),
    /// FRAME_ENCODING_ERROR or FLOW_CONTROL_ERROR for `overflow` (RFC 9000 §19.8).
    enum Error: Swift.Error, Equatable {
        /// A FIN announced a final size different from the one already known.
        case finalSizeChanged
        /// Data at or beyond the final size, or a final size below data already received.
        case beyondFinalSize
        /// offset + length exceeds 2^62 - 1.
        case overflow
    }

    /// RFC 9000 §19.8: the largest offset+length a stream can carry.
    static let maxOffset: UInt64 = (1 << 62) - 1

    private struct Segment: Sendable {
        var offset: UInt64
        var bytes: ArraySlice<UInt8>
    }

    private var segments = CircularBuffer<Segment>(initialCapacity: 4)
    private var received = RangeSet()
    /// Bytes consumed by the reader so far.
    private(set) var readOffset: UInt64 = 0
    /// The largest offset + length seen, for flow-control accounting (RFC 9000 §4.5).
    private(set) var highestReceivedOffset: UInt64 = 0
    private(set) var finalSize: UInt64?
    /// Memory held: stored bytes not read yet, in order or not.
    private(set) var bufferedBytes = 0

    init() {}

    // MARK: - State

    /// Contiguous bytes readable now.
    var readableBytes: Int {
        guard let head = received.ranges.first, head.lowerBound <= readOffset, head.upperBound > readOffset else {
            return 0
        }
        return Int(head.upperBound - readOffset)
    }

    /// The final size is known and everything was read.
    var isFinished: Bool { finalSize == readOffset }

    /// The final size is known and every byte up to it was received (RFC 9000 §3.2 "Data Recvd").
    var isComplete: Bool {
        guard let finalSize else { return false }
        return finalSize == readOffset || received.containsAll(readOffset..<finalSize)
    }

    /// How many disjoint pieces were received: a peer that fragments a stream into many tiny holes makes
    /// insertions slower, so the connection may bound this.
    var fragmentCount: Int { received.count }

    // MARK: - Receiving

    /// Inserts data at `offset`. Overlaps and duplicates are fine; bytes already read are ignored. `fin`
    /// makes offset + count the final size. Throws, without changing anything, on an inconsistent final size
    /// (RFC 9000 §4.5) or an offset beyond 2^62 - 1.
    mutating func insert(offset: UInt64, bytes: [UInt8], fin: Bool) throws(ReceiveStreamBuffer.Error) {
        try insert(offset: offset, slice: bytes[...], sharesWholeArray: true, fin: fin)
    }

    /// Inserts data at `offset` (see `insert(offset:bytes:fin:)`). The new bytes are copied, so the buffer
    /// never keeps the caller's whole packet alive for a few bytes.
    mutating func insert(offset: UInt64, bytes: ArraySlice<UInt8>, fin: Bool) throws(ReceiveStreamBuffer.Error) {
        try insert(offset: offset, slice: bytes, sharesWholeArray: false, fin: fin)
    }

    private mutating func insert(offset: UInt64, slice: ArraySlice<UInt8>, sharesWholeArray: Bool,
                                 fin: Bool) throws(ReceiveStreamBuffer.Error) {
        let (end, overflow) = offset.addingReportingOverflow(UInt64(slice.count))
        guard !overflow, end <= Self.maxOffset else { throw .overflow }
        if let finalSize {
            if fin, end != finalSize { throw .finalSizeChanged }
            if end > finalSize { throw .beyondFinalSize }
        } else if fin, end < highestReceivedOffset {
            throw .beyondFinalSize
        }
        if fin { finalSize = end }
        highestReceivedOffset = Swift.max(highestReceivedOffset, end)

        let lower = Swift.max(offset, readOffset)
        guard lower < end else { return }
        if received.max.map({ $0 < lower }) ?? true {
            // In order (or beyond everything so far): all of it is new.
            store(lower..<end, from: slice, at: offset, sharesWholeArray: sharesWholeArray)
        } else {
            for gap in received.gaps(in: lower..<end) {
                store(gap, from: slice, at: offset, sharesWholeArray: sharesWholeArray)
            }
        }
        received.insert(lower..<end)
    }

    /// Stores the new bytes `range` of `slice` (whose first byte is at stream offset `base`).
    private mutating func store(_ range: Range<UInt64>, from slice: ArraySlice<UInt8>, at base: UInt64,
                                sharesWholeArray: Bool) {
        let start = slice.startIndex + Int(range.lowerBound - base)
        let piece = slice[start..<(start + range.count)]
        // Keep a reference to the caller's array only when all of it is kept; otherwise copy exactly the
        // new bytes (a duplicate-heavy packet must not pin its whole buffer).
        let stored = sharesWholeArray && piece.count == slice.count ? piece : ArraySlice(Array(piece))
        let segment = Segment(offset: range.lowerBound, bytes: stored)
        bufferedBytes += piece.count
        if let last = segments.last, last.offset > range.lowerBound {
            segments.insert(segment, at: segments.index(segments.startIndex, offsetBy: insertionPosition(range.lowerBound)))
        } else {
            segments.append(segment)
        }
    }

    /// The position of the first segment starting after `offset`.
    private func insertionPosition(_ offset: UInt64) -> Int {
        var low = 0
        var high = segments.count
        while low < high {
            let mid = (low + high) >> 1
            if segments[offset: mid].offset < offset { low = mid + 1 } else { high = mid }
        }
        return low
    }

    // MARK: - Reading

    /// Reads up to `maxBytes` of contiguous in-order data (empty when none is available).
    mutating func read(maxBytes: Int) -> [UInt8] {
        let count = Swift.min(Swift.max(maxBytes, 0), readableBytes)
        guard count > 0 else { return [] }
        var result: [UInt8] = []
        if let head = segments.first, head.bytes.count == count {
            // One whole segment: converting a slice that spans its whole array shares the storage.
            result = Array(head.bytes)
            segments.removeFirst()
        } else {
            result.reserveCapacity(count)
            while result.count < count, let head = segments.first {
                let take = Swift.min(head.bytes.count, count - result.count)
                result.append(contentsOf: head.bytes.prefix(take))
                if take == head.bytes.count {
                    segments.removeFirst()
                } else {
                    segments.modify(segments.startIndex) { segment in
                        segment.bytes = segment.bytes.dropFirst(take)
                        segment.offset += UInt64(take)
                    }
                }
            }
        }
        readOffset += UInt64(count)
        bufferedBytes -= count
        return result
    }
}
