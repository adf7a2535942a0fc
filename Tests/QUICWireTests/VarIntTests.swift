import Testing
@testable import QUICWire

@Suite("Variable-length integers (RFC 9000 §16)")
struct VarIntTests {
    /// RFC 9000 Appendix A.1 sample decodings.
    static let rfcVectors: [(hex: String, value: UInt64)] = [
        ("c2197c5eff14e88c", 151_288_809_941_952_652),
        ("9d7f3e7d", 494_878_333),
        ("7bbd", 15293),
        ("25", 37),
        ("4025", 37),
    ]

    @Test func decodesRFC9000AppendixA1Examples() throws {
        for vector in Self.rfcVectors {
            var reader = ByteReader(hexBytes(vector.hex))
            #expect(try reader.readVarInt() == vector.value)
            #expect(reader.isAtEnd)
        }
    }

    @Test func encodesRFC9000AppendixA1ExamplesAtTheirLengths() {
        for vector in Self.rfcVectors {
            let bytes = hexBytes(vector.hex)
            var out: [UInt8] = []
            out.appendVarInt(vector.value, length: bytes.count)
            #expect(out == bytes)
        }
        // Minimal encoding of 37 is the single byte, not the two-byte form 0x4025.
        var minimal: [UInt8] = []
        minimal.appendVarInt(37)
        #expect(minimal == [0x25])
    }

    static let boundaries: [(value: UInt64, length: Int)] = [
        (0, 1), (63, 1), (64, 2), (16383, 2), (16384, 4), ((1 << 30) - 1, 4), (1 << 30, 8), (VarInt.max, 8),
    ]

    @Test func roundTripsAtEveryBoundary() throws {
        for (value, length) in Self.boundaries {
            #expect(VarInt.encodedLength(of: value) == length)
            var out: [UInt8] = []
            out.appendVarInt(value)
            #expect(out.count == length)
            var reader = ByteReader(out)
            #expect(try reader.readVarInt() == value)
            #expect(reader.isAtEnd)
            // Every longer forced length decodes to the same value.
            for forced in [1, 2, 4, 8] where forced >= length {
                var long: [UInt8] = []
                long.appendVarInt(value, length: forced)
                #expect(long.count == forced)
                var longReader = ByteReader(long)
                #expect(try longReader.readVarInt() == value)
            }
        }
    }

    @Test func truncatedInputThrowsFrameEncodingError() {
        for vector in Self.rfcVectors {
            let bytes = hexBytes(vector.hex)
            for cut in 0..<bytes.count {
                var reader = ByteReader(Array(bytes[0..<cut]))
                let error = wireError { () throws(QUICWireError) in try reader.readVarInt() }
                #expect(error?.code == .frameEncodingError)
            }
        }
    }

    @Test func exactlyRejectsValuesAboveTheMaximumWithoutTrapping() {
        #expect(VarInt(exactly: VarInt.max)?.rawValue == VarInt.max)
        #expect(VarInt(exactly: 0)?.rawValue == 0)
        #expect(VarInt(exactly: VarInt.max + 1) == nil)
        #expect(VarInt(exactly: UInt64.max) == nil)
        #expect(VarInt.max == 4_611_686_018_427_387_903)
    }

    @Test func comparesByValue() {
        #expect(VarInt(exactly: 5)! < VarInt(exactly: 6)!)
        #expect(VarInt(exactly: 16384)!.encodedLength == 4)
    }
}
