import NIOCore
@testable import QUICNIO
import Testing

@Suite("DatagramBatcher (GSO grouping)")
struct DatagramBatcherTests {
    let a = try! SocketAddress(ipAddress: "127.0.0.1", port: 1000)
    let b = try! SocketAddress(ipAddress: "127.0.0.1", port: 2000)

    @Test func withoutOffloadEveryDatagramIsItsOwnWrite() {
        let batcher = DatagramBatcher(segmentationOffload: false)
        let batches = batcher.batches(destinations: [a, a, a], sizes: [1200, 1200, 1200])
        #expect(batches == [
            .init(destination: a, range: 0..<1, segmentSize: nil),
            .init(destination: a, range: 1..<2, segmentSize: nil),
            .init(destination: a, range: 2..<3, segmentSize: nil),
        ])
    }

    @Test func equalSizesAndAShortLastSegmentShareOneWrite() {
        let batcher = DatagramBatcher(segmentationOffload: true)
        let batches = batcher.batches(destinations: [a, a, a, a], sizes: [1200, 1200, 1200, 300])
        #expect(batches == [.init(destination: a, range: 0..<4, segmentSize: 1200)])
    }

    @Test func onlyTheLastSegmentMayBeShort() {
        let batcher = DatagramBatcher(segmentationOffload: true)
        // After a short datagram, and before a larger one, a new write starts.
        let batches = batcher.batches(destinations: [a, a, a, a, a], sizes: [1200, 300, 1200, 1200, 1300])
        #expect(batches == [
            .init(destination: a, range: 0..<2, segmentSize: 1200),
            .init(destination: a, range: 2..<4, segmentSize: 1200),
            .init(destination: a, range: 4..<5, segmentSize: nil),
        ])
    }

    @Test func anotherDestinationStartsANewWrite() {
        let batcher = DatagramBatcher(segmentationOffload: true)
        let batches = batcher.batches(destinations: [a, a, b, b, a], sizes: [1000, 1000, 1000, 1000, 1000])
        #expect(batches == [
            .init(destination: a, range: 0..<2, segmentSize: 1000),
            .init(destination: b, range: 2..<4, segmentSize: 1000),
            .init(destination: a, range: 4..<5, segmentSize: nil),
        ])
    }

    @Test func writesStayWithinTheSegmentAndByteLimits() {
        let batcher = DatagramBatcher(segmentationOffload: true)
        // 100 × 500 bytes: the 64-segment limit splits first.
        let small = batcher.batches(destinations: Array(repeating: a, count: 100), sizes: Array(repeating: 500, count: 100))
        #expect(small.map(\.range) == [0..<64, 64..<100])
        // 60 × 1200 bytes: 72 000 bytes do not fit one IP packet; 54 segments (64 800 bytes) do.
        let large = batcher.batches(destinations: Array(repeating: a, count: 60), sizes: Array(repeating: 1200, count: 60))
        #expect(large.map(\.range) == [0..<54, 54..<60])
        #expect(large.allSatisfy { $0.range.count * 1200 <= DatagramBatcher.maxBatchBytes })
    }

    @Test func emptyInputHasNoWrites() {
        #expect(DatagramBatcher(segmentationOffload: true).batches(destinations: [], sizes: []).isEmpty)
    }
}
