import NIOCore

/// The bytes we send on one stream, or on the CRYPTO stream of one encryption level (RFC 9000 §2.2, §19.6).
///
/// Written data is kept as a queue of chunks with their stream offsets until it is acknowledged: an
/// acknowledged prefix frees whole chunks from the front in O(1), and a chunk at any offset is found by a
/// binary search. Three cursors describe the stream:
///
/// ```
///   0        ackedPrefix          sendOffset            totalWritten
///   |  freed  |  sent, some acked/lost  |  never sent yet   |  (FIN)
/// ```
///
/// Lost ranges (minus what was acknowledged since) are retransmitted before any new data.
struct SendStreamBuffer: Sendable {
    private struct Chunk: Sendable {
        var offset: UInt64
        var bytes: [UInt8]
        var end: UInt64 { offset + UInt64(bytes.count) }
    }

    /// Where the FIN bit stands once the stream is finished (RFC 9000 §3.1 "Data Sent" / "Data Recvd").
    private enum FinState: Sendable {
        case pending, inFlight, acknowledged
    }

    /// Small writes are appended to the last chunk up to this size instead of making a chunk each.
    static let coalesceLimit = 4096

    private var chunks = CircularBuffer<Chunk>(initialCapacity: 4)
    private(set) var totalWritten: UInt64 = 0
    private(set) var isFinished = false
    /// RESET_STREAM was sent: everything was abandoned.
    private(set) var isReset = false
    /// How far new data was sent.
    private var sendOffset: UInt64 = 0
    /// Everything below this is acknowledged and freed.
    private var ackedPrefix: UInt64 = 0
    private var acked = RangeSet()
    private var lost = RangeSet()
    private var finState = FinState.pending

    init() {}

    // MARK: - Writing

    /// Appends application bytes at the end (offset = totalWritten). Ignored after `finish()` or `reset()`,
    /// which the connection refuses before reaching here.
    mutating func write(_ bytes: [UInt8]) {
        guard !isFinished, !isReset, !bytes.isEmpty else { return }
        let lastIndex = chunks.indices.last
        if let lastIndex, chunks[lastIndex].bytes.count + bytes.count <= Self.coalesceLimit {
            chunks.modify(lastIndex) { $0.bytes.append(contentsOf: bytes) }
        } else {
            chunks.append(Chunk(offset: totalWritten, bytes: bytes))
        }
        totalWritten += UInt64(bytes.count)
    }

    mutating func write<C: Collection>(contentsOf bytes: C) where C.Element == UInt8 {
        write(Array(bytes))
    }

    /// Marks the FIN after the last written byte: `totalWritten` becomes the final size.
    mutating func finish() {
        guard !isReset else { return }
        isFinished = true
    }

    /// Abandons everything (RESET_STREAM sent): buffered data is dropped and nothing more is sent.
    mutating func reset() {
        isReset = true
        chunks.removeAll()
        lost = RangeSet()
        acked = RangeSet()
    }

    // MARK: - State

    /// Bytes written but not yet acknowledged as a contiguous prefix: the memory the stream holds.
    var bufferedBytes: Int { isReset ? 0 : Int(totalWritten - ackedPrefix) }

    /// The highest offset new data was sent up to (for connection-level flow control).
    var highestSentOffset: UInt64 { sendOffset }

    /// Retransmissions are pending, or new data or the FIN was not sent yet (regardless of flow control).
    var hasDataToSend: Bool {
        guard !isReset else { return false }
        return !lost.isEmpty || sendOffset < totalWritten || (isFinished && finState == .pending)
    }

    /// Finished, and every byte and the FIN acknowledged (RFC 9000 §3.1 "Data Recvd").
    var isFullyAcknowledged: Bool {
        isFinished && !isReset && finState == .acknowledged && ackedPrefix == totalWritten
    }

    /// Chunks of storage currently held (memory accounting in tests and diagnostics).
    var storedChunkCount: Int { chunks.count }

    // MARK: - Sending

    /// The next chunk to transmit: lost ranges first, then new data from the send offset, at most `maxBytes`
    /// and, for new data only, not beyond `flowControlLimit` (retransmitted bytes were already allowed).
    /// `fin` is set when the chunk ends at the final size and the FIN is neither acknowledged nor in flight; a
    /// FIN-only chunk has no bytes. Nil when there is nothing to send.
    mutating func nextChunk(maxBytes: Int, flowControlLimit: UInt64) -> (offset: UInt64, bytes: [UInt8], fin: Bool)? {
        guard !isReset else { return nil }
        if maxBytes > 0, let range = lost.ranges.first {
            let length = Swift.min(UInt64(range.count), UInt64(maxBytes))
            let chunk = range.lowerBound..<(range.lowerBound + length)
            lost.remove(chunk)
            return (chunk.lowerBound, bytes(in: chunk), takeFin(endingAt: chunk.upperBound))
        }
        let newLimit = Swift.min(totalWritten, flowControlLimit)
        if maxBytes > 0, sendOffset < newLimit {
            let length = Swift.min(newLimit - sendOffset, UInt64(maxBytes))
            let chunk = sendOffset..<(sendOffset + length)
            sendOffset = chunk.upperBound
            return (chunk.lowerBound, bytes(in: chunk), takeFin(endingAt: chunk.upperBound))
        }
        // RFC 9000 §19.8: a FIN-only STREAM frame at the final size (it consumes no flow-control credit).
        if sendOffset == totalWritten, takeFin(endingAt: totalWritten) {
            return (totalWritten, [], true)
        }
        return nil
    }

    /// Whether a chunk ending at `end` carries the FIN; if so the FIN is now in flight.
    private mutating func takeFin(endingAt end: UInt64) -> Bool {
        guard isFinished, end == totalWritten, finState == .pending else { return false }
        finState = .inFlight
        return true
    }

    /// Copies the stored bytes of `range` (which lies in [ackedPrefix, totalWritten)).
    private func bytes(in range: Range<UInt64>) -> [UInt8] {
        var position = chunkPosition(containing: range.lowerBound)
        let first = chunks[offset: position]
        let start = Int(range.lowerBound - first.offset)
        if range.upperBound <= first.end {
            // The common case: one chunk; a whole chunk is shared, not copied.
            if start == 0, range.count == first.bytes.count { return first.bytes }
            return Array(first.bytes[start..<(start + range.count)])
        }
        var result: [UInt8] = []
        result.reserveCapacity(range.count)
        var cursor = range.lowerBound
        while cursor < range.upperBound, position < chunks.count {
            let chunk = chunks[offset: position]
            let from = Int(cursor - chunk.offset)
            let to = Int(Swift.min(range.upperBound, chunk.end) - chunk.offset)
            result.append(contentsOf: chunk.bytes[from..<to])
            cursor = chunk.offset + UInt64(to)
            position += 1
        }
        return result
    }

    /// The position (from the front) of the chunk holding `offset`: the last chunk starting at or before it.
    private func chunkPosition(containing offset: UInt64) -> Int {
        var low = 0
        var high = chunks.count
        while high - low > 1 {
            let mid = (low + high) >> 1
            if chunks[offset: mid].offset <= offset { low = mid } else { high = mid }
        }
        return low
    }

    // MARK: - Acknowledgement and loss

    /// A frame carrying [offset, offset + length) (and the FIN if `fin`) was acknowledged: that data will
    /// never be retransmitted, and an acknowledged prefix frees its chunks.
    mutating func onAcked(offset: UInt64, length: Int, fin: Bool) {
        guard !isReset else { return }
        if fin { finState = .acknowledged }
        guard let range = sentRange(offset: offset, length: length) else { return }
        acked.insert(range)
        lost.remove(range)
        if let head = acked.ranges.first, head.lowerBound <= ackedPrefix, head.upperBound > ackedPrefix {
            ackedPrefix = head.upperBound
            while let chunk = chunks.first, chunk.end <= ackedPrefix { chunks.removeFirst() }
            // Values below the prefix are implied; keep the set to the ranges that still matter.
            acked.removeAll(below: ackedPrefix)
        }
    }

    /// A frame carrying [offset, offset + length) (and the FIN if `fin`) was declared lost: the parts not
    /// acknowledged since are queued for retransmission (RFC 9000 §13.3).
    mutating func onLost(offset: UInt64, length: Int, fin: Bool) {
        guard !isReset else { return }
        if fin, finState == .inFlight { finState = .pending }
        guard let range = sentRange(offset: offset, length: length) else { return }
        for gap in acked.gaps(in: range) { lost.insert(gap) }
    }

    /// [offset, offset + length) clipped to what was sent and is not yet freed; nil when nothing remains.
    private func sentRange(offset: UInt64, length: Int) -> Range<UInt64>? {
        guard length > 0 else { return nil }
        let (end, overflow) = offset.addingReportingOverflow(UInt64(length))
        let lower = Swift.max(offset, ackedPrefix)
        let upper = overflow ? sendOffset : Swift.min(end, sendOffset)
        return lower < upper ? lower..<upper : nil
    }
}
