// MARK: - Byte writing

/// Appending network-byte-order integers to a byte buffer. These encode our own values, so invalid
/// inputs (a varint above 2^62-1, a value too large for a forced length) are programming errors and trap.
extension Array where Element == UInt8 {
    /// Appends a big-endian 16-bit integer.
    @inlinable
    public mutating func appendUInt16(_ v: UInt16) {
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends a big-endian 32-bit integer.
    @inlinable
    public mutating func appendUInt32(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v >> 24))
        append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends a big-endian 64-bit integer.
    @inlinable
    public mutating func appendUInt64(_ v: UInt64) {
        appendUInt32(UInt32(truncatingIfNeeded: v >> 32))
        appendUInt32(UInt32(truncatingIfNeeded: v))
    }

    /// Appends the low `byteCount` (1...8) bytes of `v`, big-endian (e.g. a truncated packet number).
    @inlinable
    public mutating func appendBigEndian(_ v: UInt64, byteCount: Int) {
        precondition(byteCount >= 1 && byteCount <= 8, "byte count must be 1...8")
        var shift = (byteCount - 1) * 8
        while shift >= 0 {
            append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
            shift -= 8
        }
    }

    /// Appends `v` as a minimally encoded variable-length integer (RFC 9000 §16).
    @inlinable
    public mutating func appendVarInt(_ v: UInt64) {
        appendVarInt(v, length: VarInt.encodedLength(of: v))
    }

    /// Appends `v` as a variable-length integer of exactly `length` (1, 2, 4 or 8) bytes, e.g. the
    /// 2-byte Length field of a long header that is written before the payload size is final.
    @inlinable
    public mutating func appendVarInt(_ v: UInt64, length: Int) {
        switch length {
        case 1:
            precondition(v < 1 << 6, "value does not fit a 1-byte varint")
            append(UInt8(truncatingIfNeeded: v))
        case 2:
            precondition(v < 1 << 14, "value does not fit a 2-byte varint")
            appendUInt16(UInt16(truncatingIfNeeded: v) | 0x4000)
        case 4:
            precondition(v < 1 << 30, "value does not fit a 4-byte varint")
            appendUInt32(UInt32(truncatingIfNeeded: v) | 0x8000_0000)
        case 8:
            precondition(v <= VarInt.max, "value exceeds 2^62-1")
            appendUInt64(v | 0xc000_0000_0000_0000)
        default:
            preconditionFailure("varint length must be 1, 2, 4 or 8")
        }
    }
}
