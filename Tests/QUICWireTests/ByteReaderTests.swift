import Testing
@testable import QUICWire

@Suite("ByteReader and byte writing")
struct ByteReaderTests {
    @Test func readsBigEndianIntegers() throws {
        var reader = ByteReader([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f])
        #expect(try reader.readUInt8() == 0x01)
        #expect(try reader.readUInt16() == 0x0203)
        #expect(try reader.readUInt32() == 0x0405_0607)
        #expect(try reader.readUInt64() == 0x0809_0a0b_0c0d_0e0f)
        #expect(reader.isAtEnd)
        #expect(reader.remaining == 0)
        #expect(wireError { () throws(QUICWireError) in try reader.readUInt8() }?.code == .frameEncodingError)
    }

    @Test func rangeReaderUsesAbsolutePositionsAndStopsAtTheRangeEnd() throws {
        let bytes: [UInt8] = [0xaa, 0xbb, 0x01, 0x02, 0xcc]
        var reader = ByteReader(bytes, range: 2..<4)
        #expect(reader.position == 2)
        #expect(reader.remaining == 2)
        #expect(reader.peekUInt8() == 0x01)
        #expect(try reader.readUInt16() == 0x0102)
        #expect(reader.position == 4)
        #expect(reader.peekUInt8() == nil)
        #expect(wireError { () throws(QUICWireError) in try reader.readUInt8() } != nil)
    }

    @Test func fixedWidthReadsThrowWhenShort() {
        var reader = ByteReader([1, 2, 3])
        #expect(wireError { () throws(QUICWireError) in try reader.readUInt32() } != nil)
        #expect(wireError { () throws(QUICWireError) in try reader.readUInt64() } != nil)
        #expect(reader.position == 0, "a failed read consumes nothing")
        #expect(wireError { () throws(QUICWireError) in try reader.readUInt16() } == nil)
        #expect(wireError { () throws(QUICWireError) in try reader.readUInt16() } != nil)
    }

    @Test func byteRunsAreCheckedBeforeAllocating() throws {
        var reader = ByteReader([1, 2, 3, 4])
        #expect(wireError { () throws(QUICWireError) in try reader.readBytes(5) } != nil)
        #expect(wireError { () throws(QUICWireError) in try reader.readBytes(-1) } != nil)
        #expect(wireError { () throws(QUICWireError) in try reader.readBytes(Int.max) } != nil)
        #expect(wireError { () throws(QUICWireError) in try reader.readBytes(UInt64.max) } != nil)
        #expect(wireError { () throws(QUICWireError) in try reader.skip(5) } != nil)
        #expect(try reader.readBytes(UInt64(2)) == [1, 2])
        try reader.skip(1)
        #expect(reader.readRemaining() == [4])
        #expect(reader.readRemaining() == [])
    }

    @Test func subReaderCoversExactlyTheCountedBytes() throws {
        var reader = ByteReader([9, 1, 2, 3, 7])
        try reader.skip(1)
        var inner = try reader.subReader(3)
        #expect(inner.position == 1)
        #expect(inner.readRemaining() == [1, 2, 3])
        #expect(try reader.readUInt8() == 7)
        #expect(try reader.readRange(0) == 5..<5)
    }

    @Test func appendsBigEndianIntegers() {
        var out: [UInt8] = []
        out.appendUInt16(0x0102)
        out.appendUInt32(0x0304_0506)
        out.appendUInt64(0x0708_090a_0b0c_0d0e)
        out.appendBigEndian(0xaabb_ccdd, byteCount: 3)
        #expect(out == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xbb, 0xcc, 0xdd])
    }
}
