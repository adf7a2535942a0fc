/// What happened to a range of a probe's packets (`ProbeReplyMatcher.outcome(of:)`): how many were sent and
/// answered, and which sequence numbers were missing, answered more than once, or answered with wrong bytes.
public struct ProbeOutcome: Sendable, Hashable {
    public var sent = 0
    /// Sent packets with at least one reply (intact or not).
    public var answered = 0
    /// Sent packets with an intact reply.
    public var intact = 0
    public var missing: [UInt64] = []
    public var duplicated: [UInt64] = []
    public var corrupted: [UInt64] = []

    public init() {}

    /// Sent packets without any reply.
    public var lost: Int { sent - answered }

    /// Lost packets as a percentage of those sent (0 when none were sent).
    public var lossPercent: Double {
        sent == 0 ? 0 : Double(lost) * 100 / Double(sent)
    }

    /// Every packet answered exactly once, with the bytes that were sent.
    public var isClean: Bool {
        missing.isEmpty && duplicated.isEmpty && corrupted.isEmpty && intact == sent
    }
}
