@testable import QUICCore
import Testing

@Suite struct SendStreamBufferTests {
    static func pattern(_ count: Int, from start: Int = 0) -> [UInt8] {
        (start..<(start + count)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    // MARK: - Chunking and flow control

    @Test func chunksRespectMaxBytes() throws {
        var buffer = SendStreamBuffer()
        let data = Self.pattern(10_000)
        buffer.write(data)
        #expect(buffer.totalWritten == 10_000)
        #expect(buffer.hasDataToSend)
        var received: [UInt8] = []
        for expectedOffset in stride(from: UInt64(0), to: 10_000, by: 3000) {
            let maybeChunk = buffer.nextChunk(maxBytes: 3000, flowControlLimit: .max)
            let chunk = try #require(maybeChunk)
            #expect(chunk.offset == expectedOffset)
            #expect(chunk.bytes.count == min(3000, 10_000 - Int(expectedOffset)))
            #expect(!chunk.fin)
            received += chunk.bytes
        }
        #expect(received == data)
        let next = buffer.nextChunk(maxBytes: 3000, flowControlLimit: .max)
        #expect(next == nil)
        #expect(!buffer.hasDataToSend)
        #expect(buffer.highestSentOffset == 10_000)
        let next2 = buffer.nextChunk(maxBytes: 0, flowControlLimit: .max)
        #expect(next2 == nil)
    }

    @Test func newDataStopsAtTheFlowControlLimit() throws {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(5000))
        let maybeFirst = buffer.nextChunk(maxBytes: 10_000, flowControlLimit: 2000)
        let first = try #require(maybeFirst)
        #expect(first.offset == 0)
        #expect(first.bytes.count == 2000)
        let next = buffer.nextChunk(maxBytes: 10_000, flowControlLimit: 2000)
        #expect(next == nil)
        #expect(buffer.hasDataToSend)  // blocked, not done
        #expect(buffer.highestSentOffset == 2000)
        let maybeSecond = buffer.nextChunk(maxBytes: 10_000, flowControlLimit: 5000)
        let second = try #require(maybeSecond)
        #expect(second.offset == 2000)
        #expect(second.bytes == Self.pattern(3000, from: 2000))
    }

    @Test func smallWritesAreCoalescedAndReadAcrossChunks() throws {
        var buffer = SendStreamBuffer()
        for index in 0..<100 { buffer.write(contentsOf: Self.pattern(10, from: index * 10)[...]) }
        #expect(buffer.storedChunkCount == 1)
        buffer.write(Self.pattern(3000, from: 1000))  // 4000 bytes: still within the coalescing limit
        #expect(buffer.storedChunkCount == 1)
        buffer.write(Self.pattern(3000, from: 4000))  // would exceed it: a new chunk
        #expect(buffer.storedChunkCount == 2)
        let maybeChunk = buffer.nextChunk(maxBytes: 7000, flowControlLimit: .max)
        let chunk = try #require(maybeChunk)
        #expect(chunk.bytes == Self.pattern(7000))
    }

    // MARK: - Loss and retransmission

    @Test func lostRangesAreRetransmittedBeforeNewData() throws {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(6000))
        for _ in 0..<4 { _ = buffer.nextChunk(maxBytes: 1000, flowControlLimit: .max) }  // [0, 4000) sent
        buffer.onLost(offset: 1000, length: 1000, fin: false)
        #expect(buffer.hasDataToSend)
        // Retransmissions ignore the flow-control limit: those bytes were already allowed.
        let maybeRetransmit = buffer.nextChunk(maxBytes: 5000, flowControlLimit: 0)
        let retransmit = try #require(maybeRetransmit)
        #expect(retransmit.offset == 1000)
        #expect(retransmit.bytes == Self.pattern(1000, from: 1000))
        let maybeFresh = buffer.nextChunk(maxBytes: 5000, flowControlLimit: .max)
        let fresh = try #require(maybeFresh)
        #expect(fresh.offset == 4000)
        #expect(fresh.bytes.count == 2000)
    }

    @Test func retransmissionSkipsBytesAcknowledgedSince() throws {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(10_000))
        _ = buffer.nextChunk(maxBytes: 10_000, flowControlLimit: .max)
        // [2000, 4000) was lost, but a copy of [2500, 3500) (another frame) was acknowledged.
        buffer.onAcked(offset: 2500, length: 1000, fin: false)
        buffer.onLost(offset: 2000, length: 2000, fin: false)
        let maybeFirst = buffer.nextChunk(maxBytes: 10_000, flowControlLimit: .max)
        let first = try #require(maybeFirst)
        #expect(first.offset == 2000)
        #expect(first.bytes == Self.pattern(500, from: 2000))
        let maybeSecond = buffer.nextChunk(maxBytes: 10_000, flowControlLimit: .max)
        let second = try #require(maybeSecond)
        #expect(second.offset == 3500)
        #expect(second.bytes == Self.pattern(500, from: 3500))
        let next = buffer.nextChunk(maxBytes: 10_000, flowControlLimit: .max)
        #expect(next == nil)
        // An acknowledgement after the loss removes the pending retransmission too.
        buffer.onLost(offset: 5000, length: 1000, fin: false)
        buffer.onAcked(offset: 5000, length: 600, fin: false)
        let maybeThird = buffer.nextChunk(maxBytes: 10_000, flowControlLimit: .max)
        let third = try #require(maybeThird)
        #expect(third.offset == 5600)
        #expect(third.bytes.count == 400)
        // Losing data that was entirely acknowledged queues nothing.
        buffer.onLost(offset: 2500, length: 1000, fin: false)
        #expect(!buffer.hasDataToSend)
    }

    @Test func retransmissionIsSplitByMaxBytes() throws {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(4000))
        _ = buffer.nextChunk(maxBytes: 4000, flowControlLimit: .max)
        buffer.onLost(offset: 2000, length: 2000, fin: false)
        var offsets: [UInt64] = []
        while let chunk = buffer.nextChunk(maxBytes: 700, flowControlLimit: .max) {
            #expect(chunk.bytes == Self.pattern(chunk.bytes.count, from: Int(chunk.offset)))
            offsets.append(chunk.offset)
        }
        #expect(offsets == [2000, 2700, 3400])
    }

    // MARK: - FIN

    @Test func finTravelsWithTheLastChunk() throws {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(100))
        buffer.finish()
        let maybeChunk = buffer.nextChunk(maxBytes: 1000, flowControlLimit: .max)
        let chunk = try #require(maybeChunk)
        #expect(chunk.offset == 0 && chunk.bytes.count == 100 && chunk.fin)
        #expect(!buffer.hasDataToSend)
        let next = buffer.nextChunk(maxBytes: 1000, flowControlLimit: .max)
        #expect(next == nil)
        // Lost with its data: both are sent again.
        buffer.onLost(offset: 0, length: 100, fin: true)
        let maybeAgain = buffer.nextChunk(maxBytes: 1000, flowControlLimit: .max)
        let again = try #require(maybeAgain)
        #expect(again.offset == 0 && again.bytes.count == 100 && again.fin)
        #expect(!buffer.isFullyAcknowledged)
        buffer.onAcked(offset: 0, length: 100, fin: true)
        #expect(buffer.isFullyAcknowledged)
        #expect(buffer.bufferedBytes == 0)
    }

    @Test func finOnlyChunk() throws {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(100))
        let maybeData = buffer.nextChunk(maxBytes: 1000, flowControlLimit: .max)
        let data = try #require(maybeData)
        #expect(!data.fin)
        buffer.finish()
        #expect(buffer.isFinished)
        #expect(buffer.hasDataToSend)
        // Even with no room for bytes and no credit left, a FIN at the final size can go.
        let maybeFin = buffer.nextChunk(maxBytes: 0, flowControlLimit: 100)
        let fin = try #require(maybeFin)
        #expect(fin.offset == 100 && fin.bytes.isEmpty && fin.fin)
        buffer.onLost(offset: 100, length: 0, fin: true)
        let maybeFinAgain = buffer.nextChunk(maxBytes: 1000, flowControlLimit: .max)
        let finAgain = try #require(maybeFinAgain)
        #expect(finAgain.offset == 100 && finAgain.bytes.isEmpty && finAgain.fin)
        buffer.onAcked(offset: 100, length: 0, fin: true)
        #expect(!buffer.isFullyAcknowledged)  // the data is not acknowledged yet
        buffer.onAcked(offset: 0, length: 100, fin: false)
        #expect(buffer.isFullyAcknowledged)
    }

    @Test func emptyFinishedStreamSendsOnlyFin() throws {
        var buffer = SendStreamBuffer()
        buffer.finish()
        let maybeFin = buffer.nextChunk(maxBytes: 1000, flowControlLimit: 0)
        let fin = try #require(maybeFin)
        #expect(fin.offset == 0 && fin.bytes.isEmpty && fin.fin)
        let next = buffer.nextChunk(maxBytes: 1000, flowControlLimit: 0)
        #expect(next == nil)
    }

    @Test func finWaitsForFlowControlOfTheLastBytes() throws {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(100))
        buffer.finish()
        let maybeFirst = buffer.nextChunk(maxBytes: 1000, flowControlLimit: 50)
        let first = try #require(maybeFirst)
        #expect(first.bytes.count == 50 && !first.fin)
        let next = buffer.nextChunk(maxBytes: 1000, flowControlLimit: 50)
        #expect(next == nil)
        let maybeLast = buffer.nextChunk(maxBytes: 1000, flowControlLimit: 100)
        let last = try #require(maybeLast)
        #expect(last.offset == 50 && last.bytes.count == 50 && last.fin)
    }

    @Test func finIsNotRepeatedWhileInFlightOrAcknowledged() throws {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(300))
        buffer.finish()
        _ = buffer.nextChunk(maxBytes: 100, flowControlLimit: .max)
        _ = buffer.nextChunk(maxBytes: 100, flowControlLimit: .max)
        let maybeLast = buffer.nextChunk(maxBytes: 100, flowControlLimit: .max)
        let last = try #require(maybeLast)
        #expect(last.fin)
        // The tail is lost but the FIN (in the same frame) is still in flight elsewhere: no FIN on this copy.
        buffer.onLost(offset: 200, length: 100, fin: false)
        let maybeRetransmit = buffer.nextChunk(maxBytes: 1000, flowControlLimit: .max)
        let retransmit = try #require(maybeRetransmit)
        #expect(retransmit.offset == 200 && !retransmit.fin)
        // After the FIN was acknowledged, a retransmission ending at the final size carries no FIN either.
        buffer.onAcked(offset: 200, length: 100, fin: true)
        buffer.onLost(offset: 100, length: 200, fin: true)
        let maybeTail = buffer.nextChunk(maxBytes: 1000, flowControlLimit: .max)
        let tail = try #require(maybeTail)
        #expect(tail.offset == 100 && tail.bytes.count == 100 && !tail.fin)
    }

    @Test func writesAfterFinishAreIgnored() {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(10))
        buffer.finish()
        buffer.write(Self.pattern(10))
        #expect(buffer.totalWritten == 10)
    }

    // MARK: - Memory

    @Test func acknowledgedPrefixFreesMemory() {
        var buffer = SendStreamBuffer()
        for index in 0..<10 { buffer.write(Self.pattern(5000, from: index * 5000)) }
        #expect(buffer.storedChunkCount == 10)
        while buffer.nextChunk(maxBytes: 5000, flowControlLimit: .max) != nil {}
        // Out of order: nothing can be freed until the prefix is acknowledged.
        buffer.onAcked(offset: 5000, length: 5000, fin: false)
        #expect(buffer.bufferedBytes == 50_000)
        #expect(buffer.storedChunkCount == 10)
        buffer.onAcked(offset: 0, length: 5000, fin: false)
        #expect(buffer.bufferedBytes == 40_000)
        #expect(buffer.storedChunkCount == 8)
        // A partial acknowledgement keeps the chunk it is in.
        buffer.onAcked(offset: 10_000, length: 2500, fin: false)
        #expect(buffer.bufferedBytes == 37_500)
        #expect(buffer.storedChunkCount == 8)
        buffer.onAcked(offset: 12_500, length: 37_500, fin: false)
        #expect(buffer.bufferedBytes == 0)
        #expect(buffer.storedChunkCount == 0)
        #expect(!buffer.isFullyAcknowledged)  // not finished
    }

    @Test func resetDropsEverything() {
        var buffer = SendStreamBuffer()
        buffer.write(Self.pattern(10_000))
        _ = buffer.nextChunk(maxBytes: 4000, flowControlLimit: .max)
        buffer.onLost(offset: 0, length: 4000, fin: false)
        buffer.reset()
        #expect(buffer.isReset)
        #expect(buffer.bufferedBytes == 0)
        #expect(buffer.storedChunkCount == 0)
        #expect(!buffer.hasDataToSend)
        let next = buffer.nextChunk(maxBytes: 4000, flowControlLimit: .max)
        #expect(next == nil)
        buffer.write(Self.pattern(10))
        buffer.onAcked(offset: 0, length: 4000, fin: false)
        buffer.onLost(offset: 0, length: 4000, fin: false)
        #expect(buffer.totalWritten == 10_000)
        let next2 = buffer.nextChunk(maxBytes: 4000, flowControlLimit: .max)
        #expect(next2 == nil)
    }

    // MARK: - End to end

    /// A stream pushed through a link that drops frames and acknowledgements arrives intact at a
    /// `ReceiveStreamBuffer`, and the sender ends fully acknowledged with nothing buffered.
    @Test(arguments: [UInt64(7), 99, 2024])
    func lossyTransferDeliversEverything(seed: UInt64) throws {
        var random = PartsSeededGenerator(seed: seed)
        var sender = SendStreamBuffer()
        var receiver = ReceiveStreamBuffer()
        var written: [UInt8] = []
        for _ in 0..<40 {
            let piece = (0..<Int.random(in: 1..<3000, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            sender.write(piece)
            written += piece
        }
        sender.finish()
        var inFlight: [(offset: UInt64, length: Int, fin: Bool, delivered: Bool)] = []
        var rounds = 0
        while !sender.isFullyAcknowledged, rounds < 100_000 {
            rounds += 1
            let limit = UInt64(rounds * 200)  // credit trickles in
            if let chunk = sender.nextChunk(maxBytes: Int.random(in: 1...1500, using: &random), flowControlLimit: limit) {
                #expect(chunk.offset + UInt64(chunk.bytes.count) <= max(limit, sender.highestSentOffset))
                let delivered = Int.random(in: 0..<10, using: &random) >= 3
                if delivered { try receiver.insert(offset: chunk.offset, bytes: chunk.bytes, fin: chunk.fin) }
                inFlight.append((chunk.offset, chunk.bytes.count, chunk.fin, delivered))
            }
            // Resolve a random outstanding frame: an undelivered one is declared lost; a delivered one is
            // acknowledged, or declared lost anyway when its acknowledgement is lost (a spurious retransmission).
            if !inFlight.isEmpty, Bool.random(using: &random) {
                let frame = inFlight.remove(at: Int.random(in: 0..<inFlight.count, using: &random))
                if frame.delivered, Int.random(in: 0..<10, using: &random) >= 2 {
                    sender.onAcked(offset: frame.offset, length: frame.length, fin: frame.fin)
                } else {
                    sender.onLost(offset: frame.offset, length: frame.length, fin: frame.fin)
                }
            }
        }
        #expect(sender.isFullyAcknowledged)
        #expect(sender.bufferedBytes == 0)
        #expect(sender.storedChunkCount == 0)
        #expect(receiver.finalSize == UInt64(written.count))
        #expect(receiver.readableBytes == written.count)
        let bytesRead = receiver.read(maxBytes: .max)
        #expect(bytesRead == written)
        #expect(receiver.isFinished)
    }
}
