import Testing
@testable import QUICWire

@Suite("Frames: malformed input is rejected with the right code")
struct FrameMalformedTests {
    /// Parses `bytes` as one frame and returns the error.
    private func parseError(_ bytes: [UInt8]) -> QUICWireError? {
        wireError { () throws(QUICWireError) in try parseOne(bytes) }
    }

    /// A varint of exactly `length` bytes (test input may be non-minimal on purpose).
    private func varint(_ value: UInt64, length: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        if length == 0 { out.appendVarInt(value) } else { out.appendVarInt(value, length: length) }
        return out
    }

    // MARK: - Truncation

    @Test(arguments: FrameSamples.all)
    func truncationAtEveryBytePositionThrows(frame: Frame) {
        // A prefix of a PADDING run is itself a valid PADDING frame.
        if case .padding = frame { return }
        let bytes = encoded(frame)
        for cut in 0..<bytes.count {
            let error = parseError(Array(bytes[0..<cut]))
            #expect(error?.code == .frameEncodingError, "cut at \(cut) of \(bytes.count)")
            // Once the whole type is read, the error names the frame being parsed; a cut inside a
            // multi-byte type (the NAT traversal frames) leaves no type to name.
            if cut >= VarInt.encodedLength(of: frame.frameType) {
                #expect(error?.frameType == frame.frameType, "the error names the frame being parsed")
            } else if cut > 0 {
                #expect(error?.frameType == nil, "cut inside the frame type")
            }
        }
    }

    // MARK: - Frame types

    @Test func unknownFrameTypesAreFrameEncodingErrors() {
        for type: UInt64 in [0x1f, 0x20, 0x2f, 0x32, 0x3f, 0x40, 0x3fff, 1 << 40] {
            let error = parseError(varint(type) + [0, 0, 0, 0])
            #expect(error?.code == .frameEncodingError)
            #expect(error?.frameType == type)
        }
    }

    @Test func nonMinimalFrameTypesAreProtocolViolations() {
        let cases: [(type: UInt64, length: Int)] = [
            (FrameType.ping, 2), (FrameType.ack, 4), (FrameType.datagramWithLength, 8), (0x1f, 2),
        ]
        for (type, length) in cases {
            let error = parseError(varint(type, length: length) + [0, 0, 0, 0])
            #expect(error?.code == .protocolViolation, "type \(type) in \(length) bytes")
            #expect(error?.frameType == type)
        }
    }

    // MARK: - Field values

    @Test func emptyNewTokenIsAFrameEncodingError() {
        let error = parseError([0x07, 0x00])
        #expect(error?.code == .frameEncodingError)
        #expect(error?.frameType == FrameType.newToken)
    }

    @Test func streamCountsAbove2To60AreFrameEncodingErrors() throws {
        for type in [FrameType.maxStreamsBidi, FrameType.maxStreamsUni, FrameType.streamsBlockedBidi, FrameType.streamsBlockedUni] {
            #expect(parseError(varint(type) + varint((1 << 60) + 1))?.code == .frameEncodingError)
            #expect(parseError(varint(type) + varint(VarInt.max))?.frameType == type)
            #expect(parseError(varint(type) + varint(1 << 60)) == nil)
        }
    }

    @Test func newConnectionIDLengthMustBeOneToTwenty() {
        let token = [UInt8](repeating: 0, count: 16)
        for length in [0, 21, 255] {
            let bytes = [0x18, 0x01, 0x00, UInt8(length)] + [UInt8](repeating: 1, count: length) + token
            #expect(parseError(bytes)?.code == .frameEncodingError, "length \(length)")
        }
        #expect(parseError([0x18, 0x01, 0x00, 20] + [UInt8](repeating: 1, count: 20) + token) == nil)
    }

    @Test func retirePriorToAboveSequenceIsAFrameEncodingError() {
        let bytes: [UInt8] = [0x18, 0x02, 0x03, 0x04, 1, 2, 3, 4] + [UInt8](repeating: 0, count: 16)
        let error = parseError(bytes)
        #expect(error?.code == .frameEncodingError)
        #expect(error?.frameType == FrameType.newConnectionID)
    }

    @Test func dataEndingBeyond2To62MinusOneIsAFrameEncodingError() {
        let max = VarInt.max
        // CRYPTO: offset max-1 with 2 bytes ends at max + 1.
        #expect(parseError([0x06] + varint(max - 1) + [0x02, 1, 2])?.code == .frameEncodingError)
        #expect(parseError([0x06] + varint(max - 2) + [0x02, 1, 2]) == nil)
        // STREAM with LEN (0x0e) and without it (0x0c).
        #expect(parseError([0x0e, 0x00] + varint(max) + [0x01, 9])?.code == .frameEncodingError)
        #expect(parseError([0x0c, 0x00] + varint(max) + [9])?.frameType == 0x0c)
        #expect(parseError([0x0c, 0x00] + varint(max) + []) == nil, "a zero-length frame may end at 2^62-1")
    }

    @Test func lengthFieldsLargerThanTheFrameThrowWithoutAllocating() {
        let huge = varint(VarInt.max)
        #expect(parseError([0x06, 0x00] + huge + [1])?.code == .frameEncodingError)
        #expect(parseError([0x07] + huge + [1])?.code == .frameEncodingError)
        #expect(parseError([0x0a, 0x00] + huge + [1])?.code == .frameEncodingError)
        #expect(parseError([0x1c, 0x00, 0x00] + huge + [1])?.code == .frameEncodingError)
        #expect(parseError([0x31] + huge + [1])?.code == .frameEncodingError)
    }

    // MARK: - ACK ranges

    @Test func ackFirstRangeUnderflowingZeroThrows() {
        // Largest 5, first range 6.
        let error = parseError([0x02, 0x05, 0x00, 0x00, 0x06])
        #expect(error?.code == .frameEncodingError)
        #expect(error?.frameType == FrameType.ack)
        #expect(parseError([0x02, 0x05, 0x00, 0x00, 0x05]) == nil)
    }

    @Test func ackGapOrRangeUnderflowingZeroThrows() {
        // Largest 10, first range 2 (8...10): next largest = 8 - gap - 2.
        #expect(parseError([0x02, 0x0a, 0x00, 0x01, 0x02, 0x07, 0x00])?.code == .frameEncodingError, "gap 7 → -1")
        #expect(parseError([0x02, 0x0a, 0x00, 0x01, 0x02, 0x06, 0x00]) == nil, "gap 6 → 0...0")
        #expect(parseError([0x02, 0x0a, 0x00, 0x01, 0x02, 0x06, 0x01])?.code == .frameEncodingError, "length 1 below 0")
        // First range reaching 0 leaves no room for a further range at all.
        #expect(parseError([0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x00])?.code == .frameEncodingError)
        #expect((try? parseOne([0x02, 0x0a, 0x00, 0x01, 0x02, 0x05, 0x00]))?.frame
                == .ack(AckFrame(ranges: [8...10, 1...1], ackDelay: 0)))
    }

    @Test func ackRangeCountIsBoundedByTheRemainingBytes() {
        // 2^62-1 ranges claimed in a six-byte frame: rejected before any allocation.
        let error = parseError([0x02, 0x0a, 0x00] + varint(VarInt.max) + [0x00, 0x00, 0x00])
        #expect(error?.code == .frameEncodingError)
        // Exactly enough bytes for the claimed ranges is fine; one range too many is not.
        #expect(parseError([0x02, 0x40, 0x64, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00]) == nil)
        #expect(parseError([0x02, 0x40, 0x64, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00]) != nil)
    }
}
