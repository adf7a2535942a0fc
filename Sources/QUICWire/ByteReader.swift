// MARK: - ByteReader

/// A bounds-checked, total cursor over a region of a `[UInt8]`.
///
/// Every read checks the remaining length first and throws `QUICWireError` (FRAME_ENCODING_ERROR by
/// default; callers re-map it for other layers) instead of trapping, so it is safe on peer bytes.
/// Positions are absolute indices into the underlying array, which lets packet parsers report offsets
/// (e.g. of the packet number) that the crypto layer can use on the same datagram.
public struct ByteReader: Sendable {
    @usableFromInline internal let storage: [UInt8]
    @usableFromInline internal var cursor: Int
    @usableFromInline internal let end: Int

    // MARK: - Initialisers

    /// A reader over all of `bytes`.
    @inlinable
    public init(_ bytes: [UInt8]) {
        storage = bytes
        cursor = 0
        end = bytes.count
    }

    /// A reader over `bytes[range]`. The range must lie within `bytes` (a caller bug otherwise: traps).
    @inlinable
    public init(_ bytes: [UInt8], range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "ByteReader range outside the buffer")
        storage = bytes
        cursor = range.lowerBound
        end = range.upperBound
    }

    // MARK: - State

    /// The underlying array (the whole array, not only the readable region).
    @inlinable public var bytes: [UInt8] { storage }
    /// The absolute index of the next byte to read.
    @inlinable public var position: Int { cursor }
    /// The absolute index one past the readable region.
    @inlinable public var endIndex: Int { end }
    /// Bytes left to read.
    @inlinable public var remaining: Int { end - cursor }
    /// Whether every byte of the region has been read.
    @inlinable public var isAtEnd: Bool { cursor >= end }

    /// The next byte without consuming it, or nil at the end.
    @inlinable
    public func peekUInt8() -> UInt8? {
        cursor < end ? storage[cursor] : nil
    }

    // MARK: - Fixed-width integers (network byte order)

    /// Reads one byte.
    @inlinable
    public mutating func readUInt8() throws(QUICWireError) -> UInt8 {
        guard cursor < end else { throw QUICWireError.truncated("expected 1 byte") }
        let value = storage[cursor]
        cursor += 1
        return value
    }

    /// Reads a big-endian 16-bit integer.
    @inlinable
    public mutating func readUInt16() throws(QUICWireError) -> UInt16 {
        UInt16(truncatingIfNeeded: try readBigEndian(byteCount: 2))
    }

    /// Reads a big-endian 32-bit integer.
    @inlinable
    public mutating func readUInt32() throws(QUICWireError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readBigEndian(byteCount: 4))
    }

    /// Reads a big-endian 64-bit integer.
    @inlinable
    public mutating func readUInt64() throws(QUICWireError) -> UInt64 {
        try readBigEndian(byteCount: 8)
    }

    /// Reads an unsigned big-endian integer of 1...8 bytes (e.g. a truncated packet number).
    @inlinable
    public mutating func readBigEndian(byteCount: Int) throws(QUICWireError) -> UInt64 {
        guard byteCount >= 0, byteCount <= 8 else { throw QUICWireError.truncated("bad integer width") }
        guard end - cursor >= byteCount else { throw QUICWireError.truncated("expected \(byteCount) bytes") }
        var value: UInt64 = 0
        for index in cursor..<(cursor + byteCount) {
            value = value << 8 | UInt64(storage[index])
        }
        cursor += byteCount
        return value
    }

    // MARK: - Variable-length integers

    /// Reads a variable-length integer (RFC 9000 §16): the two high bits of the first byte give the
    /// length (1, 2, 4 or 8 bytes); the value is at most 2^62-1 by construction.
    @inlinable
    public mutating func readVarInt() throws(QUICWireError) -> UInt64 {
        guard cursor < end else { throw QUICWireError.truncated("expected a variable-length integer") }
        let first = storage[cursor]
        let length = 1 << Int(first >> 6)
        guard end - cursor >= length else { throw QUICWireError.truncated("variable-length integer") }
        var value = UInt64(first & 0x3f)
        var index = cursor + 1
        let stop = cursor + length
        while index < stop {
            value = value << 8 | UInt64(storage[index])
            index += 1
        }
        cursor = stop
        return value
    }

    // MARK: - Byte runs

    /// Reads `count` bytes. The count is checked against `remaining` before anything is allocated.
    @inlinable
    public mutating func readBytes(_ count: Int) throws(QUICWireError) -> [UInt8] {
        let range = try readRange(count)
        return Array(storage[range])
    }

    /// Reads `count` bytes where the count came off the wire as a varint.
    @inlinable
    public mutating func readBytes(_ count: UInt64) throws(QUICWireError) -> [UInt8] {
        guard count <= UInt64(remaining) else { throw QUICWireError.truncated("length \(count) exceeds \(remaining) bytes") }
        return try readBytes(Int(count))
    }

    /// Consumes `count` bytes and returns their absolute index range, without copying.
    @inlinable
    public mutating func readRange(_ count: Int) throws(QUICWireError) -> Range<Int> {
        guard count >= 0, count <= end - cursor else {
            throw QUICWireError.truncated("length \(count) exceeds \(end - cursor) bytes")
        }
        let range = cursor..<(cursor + count)
        cursor += count
        return range
    }

    /// Reads everything up to the end of the region (possibly nothing).
    @inlinable
    public mutating func readRemaining() -> [UInt8] {
        let bytes = Array(storage[cursor..<end])
        cursor = end
        return bytes
    }

    /// Skips `count` bytes.
    @inlinable
    public mutating func skip(_ count: Int) throws(QUICWireError) {
        _ = try readRange(count)
    }

    /// Consumes `count` bytes and returns a reader over exactly them (for length-prefixed fields).
    @inlinable
    public mutating func subReader(_ count: Int) throws(QUICWireError) -> ByteReader {
        let range = try readRange(count)
        return ByteReader(storage, range: range)
    }

    // MARK: - Internal

    /// Consumes a run of 0x00 bytes and returns its length (PADDING, RFC 9000 §19.1).
    mutating func skipZeros() -> Int {
        let start = cursor
        while cursor < end, storage[cursor] == 0 {
            cursor += 1
        }
        return cursor - start
    }
}
