import NIOCore

/// Groups the datagrams of one flush into UDP writes, using Generic Segmentation Offload where possible.
///
/// With GSO (Linux `UDP_SEGMENT`, kernel ≥ 4.18) one `sendmsg` carries a "superbuffer" that the kernel
/// cuts into datagrams of `segmentSize` bytes; only the last segment may be shorter. A QUIC flush typically
/// produces a run of full-sized packets to one peer (a congestion window's worth of stream data), which
/// becomes one write instead of dozens.
///
/// A batch is a run of consecutive datagrams (send order is kept) to the same destination where every
/// datagram but the last has exactly the first one's size.
struct DatagramBatcher {
    /// One write: `range` indexes the datagrams of the flush; `segmentSize` is nil for a plain datagram.
    struct Batch: Equatable {
        var destination: SocketAddress
        var range: Range<Int>
        var segmentSize: Int?
    }

    /// Linux's UDP_MAX_SEGMENTS on older kernels (newer ones allow 128).
    static let maxSegments = 64
    /// A superbuffer must fit in one IP packet's payload (65 535 minus the IPv6 and UDP headers).
    static let maxBatchBytes = 65_487

    /// Whether batches may use GSO at all (the kernel supports it and no GSO write failed yet).
    var segmentationOffload: Bool

    init(segmentationOffload: Bool) {
        self.segmentationOffload = segmentationOffload
    }

    /// Splits datagrams, in send order, into writes.
    func batches(destinations: [SocketAddress], sizes: [Int]) -> [Batch] {
        precondition(destinations.count == sizes.count)
        var result: [Batch] = []
        var start = 0
        while start < sizes.count {
            var end = start + 1
            if segmentationOffload {
                let segment = sizes[start]
                var total = segment
                // Extend while the previous datagram was full-sized (only the last may be short).
                while end < sizes.count, end - start < Self.maxSegments, destinations[end] == destinations[start],
                      sizes[end - 1] == segment, sizes[end] <= segment, sizes[end] > 0,
                      total + sizes[end] <= Self.maxBatchBytes {
                    total += sizes[end]
                    end += 1
                }
            }
            let count = end - start
            result.append(Batch(destination: destinations[start], range: start..<end,
                                segmentSize: count > 1 ? sizes[start] : nil))
            start = end
        }
        return result
    }
}
