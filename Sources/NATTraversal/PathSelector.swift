public import NIOCore

// MARK: - PathMeasurement

/// What the selector knows about one path.
public struct PathMeasurement: Hashable, Sendable {
    public enum Tier: Hashable, Sendable {
        /// Through a relay: the backup tier, always available.
        case relayed
        /// A validated direct path.
        case direct
    }

    public var tier: Tier
    /// The latest RTT estimate, nil without a sample.
    public var rtt: TimeAmount?

    public init(tier: Tier, rtt: TimeAmount?) {
        self.tier = tier
        self.rtt = rtt
    }

    public static func relayed(rtt: TimeAmount? = nil) -> Self { .init(tier: .relayed, rtt: rtt) }
    public static func direct(rtt: TimeAmount?) -> Self { .init(tier: .direct, rtt: rtt) }
}

// MARK: - PathSelector

/// Path choice as a small pure function with explicit hysteresis (DESIGN.md §6 "Selection"):
/// - the relayed path is a backup tier: any validated direct path replaces it at once, whatever the RTTs;
/// - selection never moves from direct back to relayed — only liveness failure does (a fallback);
/// - between direct paths, switch only when the RTT improves by at least max(5 ms, 10 %), so paths never
///   flap on noise.
public struct PathSelector: Hashable, Sendable {
    public var minimumImprovement: TimeAmount
    public var minimumImprovementPercent: Int

    public init(minimumImprovement: TimeAmount = .milliseconds(5), minimumImprovementPercent: Int = 10) {
        self.minimumImprovement = minimumImprovement
        self.minimumImprovementPercent = minimumImprovementPercent
    }

    public init(configuration: TraversalConfiguration) {
        self.init(minimumImprovement: configuration.switchMinimumImprovement,
                  minimumImprovementPercent: configuration.switchMinimumImprovementPercent)
    }

    // MARK: Decisions

    /// How much faster a direct path must be than a direct path with RTT `current`: max(5 ms, 10 %).
    public func requiredImprovement(over current: TimeAmount) -> TimeAmount {
        let percent = Int64(min(max(minimumImprovementPercent, 0), 100))
        let relative = TimeAmount.nanoseconds(max(current.nanoseconds, 0) / 100 * percent)
        return max(minimumImprovement, relative)
    }

    /// Whether to leave `current` for `candidate`.
    public func shouldSwitch(from current: PathMeasurement, to candidate: PathMeasurement) -> Bool {
        switch (current.tier, candidate.tier) {
        case (.relayed, .direct):
            return true
        case (.direct, .relayed), (.relayed, .relayed):
            return false
        case (.direct, .direct):
            // Without two samples there is no evidence of an improvement: stay.
            guard let now = current.rtt, let new = candidate.rtt else { return false }
            return now - new >= requiredImprovement(over: now)
        }
    }

    /// The index of the candidate to switch to, or nil to stay on `current`: among those `shouldSwitch`
    /// accepts, direct before relayed, then the lowest RTT, then the earliest (stable).
    public func choose(current: PathMeasurement, among candidates: [PathMeasurement]) -> Int? {
        var best: Int?
        for (index, candidate) in candidates.enumerated() where shouldSwitch(from: current, to: candidate) {
            guard let chosen = best else { best = index; continue }
            if Self.isBetter(candidate, than: candidates[chosen]) { best = index }
        }
        return best
    }

    private static func isBetter(_ lhs: PathMeasurement, than rhs: PathMeasurement) -> Bool {
        if lhs.tier != rhs.tier { return lhs.tier == .direct }
        switch (lhs.rtt, rhs.rtt) {
        case (let l?, let r?): return l < r
        case (.some, nil): return true
        default: return false
        }
    }
}
