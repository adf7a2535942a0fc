import Synchronization

/// Runs an operation with a hard time limit that returns *on time*, even when the operation ignores
/// cancellation. (`withTimeLimit` uses a task group, which waits for its child; the agent's tunnel opening
/// awaits an unstructured task that keeps running for up to 10 s — the probe's `--timeout` must win.)
enum ProbeTimeLimit {
    /// The operation's result, or nil when `limit` passed first. The operation is cancelled when late and left
    /// to finish on its own.
    static func run<Value: Sendable>(_ limit: Duration,
                                     _ operation: @escaping @Sendable () async throws -> Value) async -> Result<Value, any Error>? {
        let slot = FirstResult<Value>()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, any Error>?, Never>) in
            slot.arm(continuation)
            let work = Task {
                do {
                    slot.deliver(.success(try await operation()))
                } catch {
                    slot.deliver(.failure(error))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                slot.deliver(nil)
            }
            slot.keep([work, timer])
        }
        slot.cancelTasks()
        return result
    }
}

/// The continuation of `ProbeTimeLimit.run`, resumed by whichever of the operation and the timer delivers first.
private final class FirstResult<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result<Value, any Error>?, Never>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func arm(_ continuation: CheckedContinuation<Result<Value, any Error>?, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func keep(_ tasks: [Task<Void, Never>]) {
        state.withLock { $0.tasks = tasks }
    }

    func deliver(_ result: Result<Value, any Error>?) {
        state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }?.resume(returning: result)
    }

    func cancelTasks() {
        for task in state.withLock({ $0.tasks }) { task.cancel() }
    }
}
