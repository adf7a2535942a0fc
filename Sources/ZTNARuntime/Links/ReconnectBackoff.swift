/// DESIGN.md §8: reconnection with exponential backoff and jitter, 1 s doubling to 30 s, measured from the
/// last handshake *completion* — a relay that accepts and then drops us at once is not hammered, and a
/// connection that was up for longer than the cap starts over at 1 s.
public struct ReconnectBackoff: Sendable {
    public var initial: Duration = .seconds(1)
    public var maximum: Duration = .seconds(30)
    /// Each delay is multiplied by a uniform factor in 1 ± this (0.2: ±20 %).
    public var jitter: Double = 0.2
    private var nominal: Duration?

    public init() {}

    /// The delay before the next attempt after a failure or a disconnection. `connectedFor` is how long the
    /// last connection stayed up after its handshake (nil: the attempt failed before completing one).
    public mutating func nextDelay(connectedFor: Duration?, using random: inout some RandomNumberGenerator) -> Duration {
        if let connectedFor, connectedFor >= maximum {
            nominal = nil
        }
        let next = nominal.map { min($0 * 2, maximum) } ?? initial
        nominal = next
        let factor = 1 + Double.random(in: -jitter...jitter, using: &random)
        // Measured from the handshake completion: time already spent connected counts toward the wait.
        let wait = next * factor - (connectedFor ?? .zero)
        return max(.zero, wait)
    }
}
