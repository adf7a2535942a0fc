/// A small deterministic random number generator (SplitMix64, Steele, Lea & Flood, OOPSLA 2014).
///
/// Sans-IO cores take randomness as a parameter (STYLE.md rule 1): the shell seeds this generator once from
/// the system's random source, tests seed it with a constant and get exact, repeatable results. It is not
/// cryptographic; it is used only where predictability is harmless (retry jitter, routing labels whose use
/// the relay authorizes independently).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
