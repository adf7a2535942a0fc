@testable import QUICCore
import Testing

@Suite struct ReceiveStreamBufferTests {
    static func bytes(_ range: Range<Int>) -> [UInt8] {
        range.map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
    }

    // MARK: - Ordering

    @Test func inOrderData() throws {
        var buffer = ReceiveStreamBuffer()
        try buffer.insert(offset: 0, bytes: Self.bytes(0..<3), fin: false)
        try buffer.insert(offset: 3, bytes: Self.bytes(3..<5), fin: false)
        #expect(buffer.readableBytes == 5)
        #expect(buffer.bufferedBytes == 5)
        let bytesRead = buffer.read(maxBytes: 2)
        #expect(bytesRead == Self.bytes(0..<2))
        #expect(buffer.readOffset == 2)
        let bytesRead2 = buffer.read(maxBytes: 10)
        #expect(bytesRead2 == Self.bytes(2..<5))
        #expect(buffer.readOffset == 5)
        #expect(buffer.readableBytes == 0)
        #expect(buffer.bufferedBytes == 0)
        let bytesRead3 = buffer.read(maxBytes: 10)
        #expect(bytesRead3 == [])
        #expect(!buffer.isFinished)
    }

    @Test func outOfOrderDataWaitsForTheGap() throws {
        var buffer = ReceiveStreamBuffer()
        try buffer.insert(offset: 10, bytes: Self.bytes(10..<20), fin: false)
        try buffer.insert(offset: 30, bytes: Self.bytes(30..<40), fin: true)
        #expect(buffer.readableBytes == 0)
        let bytesRead = buffer.read(maxBytes: 100)
        #expect(bytesRead == [])
        #expect(buffer.bufferedBytes == 20)
        #expect(buffer.highestReceivedOffset == 40)
        #expect(buffer.fragmentCount == 2)
        try buffer.insert(offset: 0, bytes: Self.bytes(0..<10), fin: false)
        #expect(buffer.readableBytes == 20)
        #expect(!buffer.isComplete)
        try buffer.insert(offset: 20, bytes: Self.bytes(20..<30), fin: false)
        #expect(buffer.isComplete)
        #expect(buffer.readableBytes == 40)
        let bytesRead2 = buffer.read(maxBytes: 25)
        #expect(bytesRead2 == Self.bytes(0..<25))
        #expect(!buffer.isFinished)
        let bytesRead3 = buffer.read(maxBytes: 25)
        #expect(bytesRead3 == Self.bytes(25..<40))
        #expect(buffer.isFinished)
        #expect(buffer.bufferedBytes == 0)
    }

    @Test func overlapsAndDuplicatesStoreEachByteOnce() throws {
        var buffer = ReceiveStreamBuffer()
        try buffer.insert(offset: 0, bytes: Self.bytes(0..<10), fin: false)
        try buffer.insert(offset: 5, bytes: Self.bytes(5..<15), fin: false)
        try buffer.insert(offset: 0, bytes: Self.bytes(0..<10), fin: false)
        try buffer.insert(offset: 20, bytes: Self.bytes(20..<25), fin: false)
        // Covers the gap and both neighbours.
        try buffer.insert(offset: 12, bytes: Self.bytes(12..<30), fin: false)
        #expect(buffer.bufferedBytes == 30)
        #expect(buffer.readableBytes == 30)
        let bytesRead = buffer.read(maxBytes: 12)
        #expect(bytesRead == Self.bytes(0..<12))
        // Data already read is ignored.
        try buffer.insert(offset: 0, bytes: Self.bytes(0..<12), fin: false)
        try buffer.insert(offset: 8, bytes: Self.bytes(8..<16), fin: false)
        #expect(buffer.bufferedBytes == 18)
        let bytesRead2 = buffer.read(maxBytes: 100)
        #expect(bytesRead2 == Self.bytes(12..<30))
    }

    @Test func sliceInputWithNonZeroStartIndex() throws {
        var buffer = ReceiveStreamBuffer()
        let packet = Self.bytes(0..<100)
        try buffer.insert(offset: 50, bytes: packet[50..<100], fin: true)
        try buffer.insert(offset: 0, bytes: packet[0..<60], fin: false)
        let bytesRead = buffer.read(maxBytes: 1000)
        #expect(bytesRead == packet)
        #expect(buffer.isFinished)
    }

    // MARK: - Final size

    @Test func finalSizeViolations() throws {
        var buffer = ReceiveStreamBuffer()
        try buffer.insert(offset: 0, bytes: Self.bytes(0..<10), fin: true)
        #expect(buffer.finalSize == 10)
        #expect(throws: ReceiveStreamBuffer.Error.beyondFinalSize) {
            try buffer.insert(offset: 5, bytes: Self.bytes(5..<15), fin: false)
        }
        #expect(throws: ReceiveStreamBuffer.Error.beyondFinalSize) {
            try buffer.insert(offset: 11, bytes: [], fin: false)
        }
        #expect(throws: ReceiveStreamBuffer.Error.finalSizeChanged) {
            try buffer.insert(offset: 0, bytes: Self.bytes(0..<5), fin: true)
        }
        #expect(throws: ReceiveStreamBuffer.Error.finalSizeChanged) {
            try buffer.insert(offset: 0, bytes: Self.bytes(0..<11), fin: true)
        }
        // Repeating the same final size, or data within it, is fine.
        try buffer.insert(offset: 0, bytes: Self.bytes(0..<10), fin: true)
        try buffer.insert(offset: 10, bytes: [], fin: true)
        try buffer.insert(offset: 4, bytes: Self.bytes(4..<10), fin: false)
        #expect(buffer.highestReceivedOffset == 10)
        let bytesRead = buffer.read(maxBytes: 100)
        #expect(bytesRead == Self.bytes(0..<10))
    }

    @Test func finalSizeBelowReceivedData() throws {
        var buffer = ReceiveStreamBuffer()
        try buffer.insert(offset: 0, bytes: Self.bytes(0..<20), fin: false)
        #expect(throws: ReceiveStreamBuffer.Error.beyondFinalSize) {
            try buffer.insert(offset: 0, bytes: Self.bytes(0..<10), fin: true)
        }
        // Nothing changed.
        #expect(buffer.finalSize == nil)
        #expect(buffer.highestReceivedOffset == 20)
        try buffer.insert(offset: 20, bytes: [], fin: true)
        #expect(buffer.finalSize == 20)
    }

    @Test func offsetsBeyondTheVarintLimit() throws {
        var buffer = ReceiveStreamBuffer()
        let limit = ReceiveStreamBuffer.maxOffset
        #expect(throws: ReceiveStreamBuffer.Error.overflow) {
            try buffer.insert(offset: limit, bytes: [1], fin: false)
        }
        #expect(throws: ReceiveStreamBuffer.Error.overflow) {
            try buffer.insert(offset: .max, bytes: [1, 2], fin: true)
        }
        #expect(buffer.highestReceivedOffset == 0)
        try buffer.insert(offset: limit - 1, bytes: [1], fin: false)
        #expect(buffer.highestReceivedOffset == limit)
        #expect(buffer.readableBytes == 0)
    }

    // MARK: - Randomized reassembly

    /// A 1 MB stream cut into random frames, with overlapping duplicates, delivered in a random order with
    /// reads in between, reassembles byte for byte.
    @Test(arguments: [UInt64(1), 77, 4096])
    func randomReorderOfOneMegabyte(seed: UInt64) throws {
        var random = PartsSeededGenerator(seed: seed)
        let size = 1 << 20
        let stream = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
        var frames: [(offset: Int, end: Int)] = []
        var offset = 0
        while offset < size {
            let end = min(size, offset + Int.random(in: 1...1400, using: &random))
            frames.append((offset, end))
            offset = end
        }
        // Overlapping copies (as retransmissions with different frame boundaries would produce).
        for _ in 0..<(frames.count / 4) {
            let start = Int.random(in: 0..<size, using: &random)
            frames.append((start, min(size, start + Int.random(in: 1...3000, using: &random))))
        }
        frames.shuffle(using: &random)

        var buffer = ReceiveStreamBuffer()
        var output: [UInt8] = []
        output.reserveCapacity(size)
        for (index, frame) in frames.enumerated() {
            let isLast = frame.end == size
            if index.isMultiple(of: 2) {
                try buffer.insert(offset: UInt64(frame.offset), bytes: Array(stream[frame.offset..<frame.end]), fin: isLast)
            } else {
                try buffer.insert(offset: UInt64(frame.offset), bytes: stream[frame.offset..<frame.end], fin: isLast)
            }
            if Int.random(in: 0..<8, using: &random) == 0 {
                output += buffer.read(maxBytes: Int.random(in: 1...20_000, using: &random))
            }
            #expect(buffer.bufferedBytes <= size - output.count)
        }
        output += buffer.read(maxBytes: .max)
        #expect(output.count == size)
        #expect(output == stream)
        #expect(buffer.isFinished)
        #expect(buffer.bufferedBytes == 0)
        #expect(buffer.highestReceivedOffset == UInt64(size))
    }
}
