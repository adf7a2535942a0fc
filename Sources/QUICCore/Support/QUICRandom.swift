/// The engine's source of randomness: a ChaCha20 keystream (RFC 8439 §2.3) keyed by a 32-byte seed.
///
/// Randomness is an input of the sans-IO core (DESIGN.md §2): the I/O shell seeds this generator from the
/// operating system once, tests seed it with fixed bytes and get reproducible connection IDs, path
/// challenges and tokens. The keystream of a secret seed is unpredictable, which is what connection IDs
/// (RFC 9000 §9.5), PATH_CHALLENGE data and token nonces need.
public struct QUICRandom: RandomNumberGenerator, Sendable {
    private var key: [UInt32]          // 8 words
    private var counter: UInt64 = 0
    private var block: [UInt32] = []   // 16 words of keystream not yet used
    private var blockIndex = 16

    /// - Parameter seed: 32 bytes; shorter seeds are zero-extended, longer ones truncated.
    public init(seed: [UInt8]) {
        var padded = seed.prefix(32).map { $0 }
        padded += Array(repeating: 0, count: 32 - padded.count)
        var words: [UInt32] = []
        for i in 0..<8 {
            var word: UInt32 = 0
            for j in 0..<4 { word |= UInt32(padded[4 * i + j]) << UInt32(8 * j) }
            words.append(word)
        }
        key = words
    }

    public mutating func next() -> UInt64 {
        let low = UInt64(nextWord())
        return low | UInt64(nextWord()) << 32
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(count)
        while result.count < count {
            var word = nextWord()
            for _ in 0..<4 where result.count < count {
                result.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return result
    }

    private mutating func nextWord() -> UInt32 {
        if blockIndex == 16 { refill() }
        defer { blockIndex += 1 }
        return block[blockIndex]
    }

    // MARK: - ChaCha20 block function (RFC 8439 §2.3)

    private mutating func refill() {
        var state: [UInt32] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]
        state += key
        state += [UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), 0, 0]
        counter &+= 1
        var working = state
        for _ in 0..<10 {
            Self.quarterRound(&working, 0, 4, 8, 12)
            Self.quarterRound(&working, 1, 5, 9, 13)
            Self.quarterRound(&working, 2, 6, 10, 14)
            Self.quarterRound(&working, 3, 7, 11, 15)
            Self.quarterRound(&working, 0, 5, 10, 15)
            Self.quarterRound(&working, 1, 6, 11, 12)
            Self.quarterRound(&working, 2, 7, 8, 13)
            Self.quarterRound(&working, 3, 4, 9, 14)
        }
        block = (0..<16).map { working[$0] &+ state[$0] }
        blockIndex = 0
    }

    private static func quarterRound(_ s: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        s[a] &+= s[b]; s[d] ^= s[a]; s[d] = s[d].rotatedLeft(16)
        s[c] &+= s[d]; s[b] ^= s[c]; s[b] = s[b].rotatedLeft(12)
        s[a] &+= s[b]; s[d] ^= s[a]; s[d] = s[d].rotatedLeft(8)
        s[c] &+= s[d]; s[b] ^= s[c]; s[b] = s[b].rotatedLeft(7)
    }
}

extension UInt32 {
    fileprivate func rotatedLeft(_ n: UInt32) -> UInt32 { (self << n) | (self >> (32 - n)) }
}
