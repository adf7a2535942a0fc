public import NIOCore

/// A one-way simulated network link with latency, random loss, reordering and an MTU, driven by a seeded
/// generator so every run is reproducible.
public struct SimulatedLink: Sendable {
    public var latency: TimeAmount
    /// Probability (0…1) that a datagram is lost.
    public var lossRate: Double = 0
    /// Probability (0…1) that a datagram is delayed by `reorderDelay` extra (arriving after later ones).
    public var reorderRate: Double = 0
    public var reorderDelay: TimeAmount = .milliseconds(5)
    /// Datagrams larger than this are dropped (like an IP path without fragmentation).
    public var mtu: Int = 65527
    /// Drop the next N datagrams regardless of `lossRate` (to lose a specific flight).
    public var dropNext = 0
    /// Counters.
    public private(set) var delivered = 0
    public private(set) var dropped = 0

    var random: SplitMix64

    public init(latency: TimeAmount, seed: UInt64 = 1) {
        self.latency = latency
        random = SplitMix64(seed: seed)
    }

    /// When a datagram sent at `now` arrives, or nil if the link loses it.
    mutating func schedule(size: Int, now: NIODeadline) -> NIODeadline? {
        if dropNext > 0 { dropNext -= 1; dropped += 1; return nil }
        if size > mtu { dropped += 1; return nil }
        if lossRate > 0, random.nextDouble() < lossRate { dropped += 1; return nil }
        delivered += 1
        var delay = latency
        if reorderRate > 0, random.nextDouble() < reorderRate { delay = delay + reorderDelay }
        return now + delay
    }
}

/// SplitMix64: a tiny deterministic generator for simulations (not for secrets).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
