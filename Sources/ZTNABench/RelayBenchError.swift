/// Why a relay benchmark phase could not produce its figures (the relay did not start, a client could not
/// connect or register, a wait timed out). The message says what and where; no figure is reported for a
/// phase that failed.
public struct RelayBenchError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

// MARK: - Bounded waits

/// Runs `body`, failing with `RelayBenchError(what)` when it takes longer than `seconds` (the body is cancelled).
/// Every wait of the benchmark on the network is bounded by one of these, so a lost packet or a stuck relay
/// ends the run with an error instead of hanging it.
func withDeadline<Value: Sendable>(
    seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw RelayBenchError("timed out after \(seconds) s: \(what)")
        }
        return value
    }
}
