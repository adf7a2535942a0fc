// MARK: - Readiness

/// What `GET /readyz` reports (DESIGN.md §8): relay listening; connector registered with at least one relay;
/// agent registered and tunnel up.
public enum Readiness: Sendable, Equatable {
    /// 200 "ready".
    case ready
    /// 503 with the reason as plain text, for example "no relay registration yet".
    case notReady(reason: String)
}
