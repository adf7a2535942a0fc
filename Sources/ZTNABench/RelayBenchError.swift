import Synchronization

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

/// Runs `body`, failing with `RelayBenchError` naming `what` when it takes longer than `seconds`. Every wait
/// of the benchmark on the network is bounded by one of these, so a lost packet or a stuck relay ends the
/// run with an error instead of hanging it.
///
/// On timeout the body's task is cancelled but not awaited: some waits (an event-loop future) do not react
/// to cancellation, and the caller must not hang on them. Cancelling the caller cancels the body.
func withDeadline<Value: Sendable>(
    seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let outcome = DeadlineOutcome<Value>()
    let work = Task { outcome.resume(with: await Result(catching: body)) }
    let timer = Task {
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        if !Task.isCancelled {
            outcome.resume(with: .failure(RelayBenchError("timed out after \(seconds) s: \(what)")))
        }
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    return try await withTaskCancellationHandler {
        try await outcome.value
    } onCancel: {
        work.cancel()
        outcome.resume(with: .failure(CancellationError()))
    }
}

/// The first of the body's result, the timeout and cancellation; later ones are ignored.
private final class DeadlineOutcome<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, any Error>?
        var waiter: CheckedContinuation<Value, any Error>?
    }
    private let state = Mutex(State())

    func resume(with result: Result<Value, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            if case .some = state.result { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { state -> Result<Value, any Error>? in
                    if case .none = state.result { state.waiter = continuation }
                    return state.result
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing closure.
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
