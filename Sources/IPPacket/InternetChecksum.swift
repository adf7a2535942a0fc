// MARK: - Internet checksum (RFC 1071, RFC 1141 incremental form not needed here)

/// The 16-bit one's-complement Internet checksum of RFC 1071, computed 8 bytes at a time.
///
/// RFC 1071 §2(B): the one's-complement sum is independent of byte order, so the accumulator adds
/// machine words loaded in *memory order* and only the folded 16-bit result is interpreted as big-endian.
/// Chunks may be added one after another; every chunk except the last must have an even length
/// (all our pseudo-header pieces do), because an odd byte is padded with zero as the final word.
public struct InternetChecksum: Sendable {
    /// Running sum of memory-order words with end-around carry (never more than 64 bits).
    @usableFromInline var sum: UInt64

    /// An empty sum.
    @inlinable public init() { sum = 0 }

    // MARK: - Adding bytes

    /// Adds `bytes` (memory order) to the sum.
    @inlinable
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        let count = bytes.count
        var acc = sum
        // 8 bytes per step; the carry out of the 64-bit add is folded back in (end-around carry).
        while index &+ 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let (partial, overflow) = acc.addingReportingOverflow(word)
            acc = partial &+ (overflow ? 1 : 0)
            index &+= 8
        }
        var tail: UInt64 = 0
        while index &+ 2 <= count {
            tail &+= UInt64(bytes.loadUnaligned(fromByteOffset: index, as: UInt16.self))
            index &+= 2
        }
        if index < count {
            // RFC 1071 §4.1: a trailing odd byte is the high-order byte of a word padded with zero,
            // i.e. the byte at the lower address of a memory-order word.
            tail &+= UInt64(UInt16(littleEndian: UInt16(bytes[index])))
        }
        let (partial, overflow) = acc.addingReportingOverflow(tail)
        sum = partial &+ (overflow ? 1 : 0)
    }

    /// Adds `bytes` to the sum.
    @inlinable
    public mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { add($0) }
    }

    /// Adds one 16-bit field given as its numeric (big-endian on the wire) value, e.g. a pseudo-header length.
    @inlinable
    public mutating func add(word value: UInt16) {
        let (partial, overflow) = sum.addingReportingOverflow(UInt64(value.bigEndian))
        sum = partial &+ (overflow ? 1 : 0)
    }

    // MARK: - Result

    /// The folded one's-complement sum, as the number whose big-endian bytes are on the wire.
    @inlinable
    public var foldedSum: UInt16 {
        var s = sum
        s = (s & 0xFFFF_FFFF) &+ (s >> 32)
        s = (s & 0xFFFF_FFFF) &+ (s >> 32)
        s = (s & 0xFFFF) &+ (s >> 16)
        s = (s & 0xFFFF) &+ (s >> 16)
        return UInt16(bigEndian: UInt16(truncatingIfNeeded: s))
    }

    /// The checksum to place in a header (the complement of the folded sum), as a numeric value.
    @inlinable
    public var checksum: UInt16 { ~foldedSum }

    /// True when a region that includes its own checksum field sums to all ones (RFC 1071 §1: verification).
    @inlinable
    public var isValid: Bool { foldedSum == 0xFFFF }

    // MARK: - Convenience

    /// The checksum of a single buffer.
    @inlinable
    public static func checksum(of bytes: [UInt8]) -> UInt16 {
        var c = InternetChecksum()
        c.add(bytes)
        return c.checksum
    }
}
