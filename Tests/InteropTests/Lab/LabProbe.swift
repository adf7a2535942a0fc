// The outcome of one lab client run, and the bounded retry the restart tests use: traffic must resume within
// a limit, never "after a sleep", and a test never waits longer than the limit.

/// The outcome of one client run.
enum LabProbe: Sendable, Equatable {
    case passed
    case failed(String)

    var passed: Bool { self == .passed }

    /// The failure text (empty when passed), for `#expect` messages.
    var failure: String {
        if case .failed(let reason) = self { return reason }
        return ""
    }

    /// Runs `probe` until it passes or `limit` elapsed (then the last failure), pausing `pause` between tries.
    /// For traffic that resumes after a restart: the bound keeps a broken tunnel from hanging the test.
    static func eventually(within limit: Duration, pause: Duration = .milliseconds(500),
                           _ probe: () async throws -> LabProbe) async throws -> LabProbe {
        let deadline = ContinuousClock.now + limit
        while true {
            let outcome = try await probe()
            if outcome.passed || ContinuousClock.now >= deadline { return outcome }
            try await Task.sleep(for: pause)
        }
    }
}
