// MARK: - Seeded randomness for initial sequence numbers

/// SplitMix64: deterministic for a seed, so tests reproduce ISNs exactly. The owner seeds it from a
/// real random source in production (RFC 6528 asks for unpredictable ISNs; the TUN peer is local, and the
/// flows are not reachable from any network, so a well-seeded PRNG is enough).
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
