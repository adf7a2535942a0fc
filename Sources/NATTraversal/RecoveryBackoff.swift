import NIOCore

// MARK: - RecoveryBackoff

/// When to try NAT traversal again after a failed attempt or a failed direct path (DESIGN.md §6
/// "Recovery"): 30 s, then doubling up to 5 min. A validated direct path resets it.
struct RecoveryBackoff: Hashable, Sendable {
    /// The delay the next failure will use.
    private(set) var nextDelay: TimeAmount

    init(configuration: TraversalConfiguration) {
        nextDelay = configuration.initialRetryDelay
    }

    /// The retry time after a failure at `now`; the following failure waits twice as long (capped).
    mutating func retryTime(after now: NIODeadline, configuration: TraversalConfiguration) -> NIODeadline {
        let delay = min(nextDelay, configuration.maximumRetryDelay)
        nextDelay = min(delay + delay, configuration.maximumRetryDelay)
        return now + delay
    }

    mutating func reset(configuration: TraversalConfiguration) {
        nextDelay = configuration.initialRetryDelay
    }
}
