import ZTNAProtocol

/// What fills a probe payload after its 8-byte sequence number (`ztna probe --pattern`).
///
/// Every pattern is a pure function of (sequence number, byte offset, seed), so the probe never stores what
/// it sent: it regenerates the expected bytes to check an echo, and a reply carrying another packet's bytes
/// is caught because the bytes depend on the sequence number (except for `zeros`, by design the plainest).
public enum ProbePattern: String, Sendable, Hashable, Codable, CaseIterable {
    /// All zero bytes: the most compressible payload, and what a path that zero-fills would not corrupt.
    case zeros
    /// Counting bytes, `(offset - 8 + sequence) mod 256`: catches shifted, truncated and swapped payloads.
    case sequence
    /// Pseudo-random bytes (SplitMix64 seeded by the run's seed and the sequence number): nothing on the path
    /// can compress it, and corruption anywhere shows.
    case random

    // MARK: - Generation

    /// Writes the pattern bytes of packet `sequence` into `body` (the payload after the sequence header).
    func fill(_ body: UnsafeMutableRawBufferPointer, sequence: UInt64, seed: UInt64) {
        switch self {
        case .zeros:
            guard let base = body.baseAddress else { return }
            base.initializeMemory(as: UInt8.self, repeating: 0, count: body.count)
        case .sequence:
            for index in 0..<body.count { body[index] = Self.sequenceByte(index, sequence) }
        case .random:
            var generator = SplitMix64(seed: Self.randomSeed(seed, sequence))
            var index = 0
            while index < body.count {
                var word = generator.next()
                let end = min(index + 8, body.count)
                while index < end {
                    body[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
        }
    }

    /// Whether `body` (the payload after the sequence header) is exactly what `fill` writes for `sequence`.
    /// Compares in place: no expected copy is built per reply.
    func matches(_ body: ArraySlice<UInt8>, sequence: UInt64, seed: UInt64) -> Bool {
        switch self {
        case .zeros:
            return body.allSatisfy { $0 == 0 }
        case .sequence:
            var offset = 0
            for byte in body {
                guard byte == Self.sequenceByte(offset, sequence) else { return false }
                offset += 1
            }
            return true
        case .random:
            var generator = SplitMix64(seed: Self.randomSeed(seed, sequence))
            var word: UInt64 = 0
            var offset = 0
            for byte in body {
                if offset & 7 == 0 { word = generator.next() }
                guard byte == UInt8(truncatingIfNeeded: word) else { return false }
                word >>= 8
                offset += 1
            }
            return true
        }
    }

    @inline(__always)
    private static func sequenceByte(_ offset: Int, _ sequence: UInt64) -> UInt8 {
        UInt8(truncatingIfNeeded: UInt64(truncatingIfNeeded: offset) &+ sequence)
    }

    /// One stream per packet: the golden-ratio multiple spreads consecutive sequence numbers apart.
    private static func randomSeed(_ seed: UInt64, _ sequence: UInt64) -> UInt64 {
        seed ^ (sequence &* 0x9E37_79B9_7F4A_7C15)
    }
}
