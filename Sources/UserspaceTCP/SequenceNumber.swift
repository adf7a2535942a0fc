// MARK: - Sequence-number arithmetic (RFC 9293 §3.4, modulo 2^32)

/// A TCP sequence number. Comparisons are modulo 2^32 ("a < b" means b is ahead of a by < 2^31).
struct SequenceNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    var raw: UInt32

    init(_ raw: UInt32) { self.raw = raw }

    /// Advances by `count` bytes (wrapping).
    static func + (lhs: Self, rhs: Int) -> Self { Self(lhs.raw &+ UInt32(truncatingIfNeeded: rhs)) }

    /// Signed distance `lhs - rhs` (valid when the two are within 2^31 of each other).
    static func - (lhs: Self, rhs: Self) -> Int { Int(Int32(bitPattern: lhs.raw &- rhs.raw)) }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs - rhs < 0 }
    static func <= (lhs: Self, rhs: Self) -> Bool { lhs - rhs <= 0 }
    static func > (lhs: Self, rhs: Self) -> Bool { lhs - rhs > 0 }
    static func >= (lhs: Self, rhs: Self) -> Bool { lhs - rhs >= 0 }

    static func += (lhs: inout Self, rhs: Int) { lhs = lhs + rhs }

    var description: String { String(raw) }
}
