@testable import QUICWire

// MARK: - Deterministic randomness

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator so fuzz-style tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

// MARK: - Byte helpers

/// Bytes from a hex string such as "c3000001"; test-only, traps on malformed input.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8)
    precondition(digits.count % 2 == 0, "odd hex length")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not hex")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// A connection ID of `count` bytes counting up from `start` (test-only).
func cid(_ count: Int, start: UInt8 = 1) -> ConnectionID {
    ConnectionID((0..<count).map { start &+ UInt8($0) })!
}

/// The encoding of one frame.
func encoded(_ frame: Frame) -> [UInt8] {
    var buffer: [UInt8] = []
    frame.encode(into: &buffer)
    return buffer
}

/// Parses one frame from the whole of `bytes`, returning the frame and whether the reader ended.
func parseOne(_ bytes: [UInt8]) throws(QUICWireError) -> (frame: Frame, atEnd: Bool) {
    var reader = ByteReader(bytes)
    let frame = try Frame.parse(from: &reader)
    return (frame, reader.isAtEnd)
}

/// The error thrown by `body`, or nil if it did not throw.
func wireError<T>(_ body: () throws(QUICWireError) -> T) -> QUICWireError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
