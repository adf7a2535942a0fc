// MARK: - VarInt

/// A QUIC variable-length integer (RFC 9000 §16): 0...2^62-1, encoded in 1, 2, 4 or 8 bytes whose
/// first two bits give the length.
///
/// ```
///  2 bits  | usable bits | range
///  0b00    |  6          | 0...63
///  0b01    | 14          | 0...16383
///  0b10    | 30          | 0...1073741823
///  0b11    | 62          | 0...4611686018427387903
/// ```
public struct VarInt: Hashable, Comparable, Sendable {
    /// The largest encodable value, 2^62-1.
    public static let max: UInt64 = (1 << 62) - 1

    /// The value, always at most `VarInt.max`.
    public let rawValue: UInt64

    /// A varint holding `value`, or nil when `value` exceeds 2^62-1. Never traps.
    @inlinable
    public init?(exactly value: UInt64) {
        guard value <= VarInt.max else { return nil }
        rawValue = value
    }

    /// The minimal encoded length of `value`: 1, 2, 4 or 8. Values above `max` report 8 (they cannot
    /// be encoded at all; `appendVarInt` traps on them).
    @inlinable
    public static func encodedLength(of value: UInt64) -> Int {
        if value < 1 << 6 { return 1 }
        if value < 1 << 14 { return 2 }
        if value < 1 << 30 { return 4 }
        return 8
    }

    /// The minimal encoded length of this value.
    @inlinable
    public var encodedLength: Int { VarInt.encodedLength(of: rawValue) }

    /// Orders by value.
    @inlinable
    public static func < (lhs: VarInt, rhs: VarInt) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
