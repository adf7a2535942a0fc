import NIOCore
import Synchronization

// MARK: - Waiting for the event loop

/// Set by a task's cancellation handler; read on the event loop when a waiter registers.
///
/// `withTaskCancellationHandler` may run its handler before, during or after the operation registers its
/// waiter on the loop. The flag closes the gap: a waiter registering after the cancellation sees it set,
/// and a waiter registered before it is failed by the `cancel` closure, which runs on the loop after it.
final class CancellationToken: Sendable {
    private let flag = Atomic<Bool>(false)

    var isCancelled: Bool { flag.load(ordering: .acquiring) }

    func cancel() { flag.store(true, ordering: .releasing) }
}

/// A suspended caller, resumed exactly once from the event loop.
///
/// The owner (a loop-bound driver) keeps at most one waiter per pending operation and clears its slot when it
/// resumes it, so a waiter can never be resumed twice.
struct LoopWaiter<Value: Sendable>: Sendable {
    let token: CancellationToken
    private let continuation: CheckedContinuation<Result<Value, QUICNIOError>, Never>

    init(token: CancellationToken, continuation: CheckedContinuation<Result<Value, QUICNIOError>, Never>) {
        self.token = token
        self.continuation = continuation
    }

    func succeed(_ value: Value) { continuation.resume(returning: .success(value)) }
    func fail(_ error: QUICNIOError) { continuation.resume(returning: .failure(error)) }
    func resume(_ result: Result<Value, QUICNIOError>) { continuation.resume(returning: result) }
}

extension EventLoop {
    /// Suspends the calling task until a loop-side driver resumes the waiter that `register` receives.
    ///
    /// `register` runs on the loop; when the task is already cancelled it gets no waiter and the call returns
    /// `.cancelled`. `cancel` runs on the loop when the task is cancelled later, with the token of the waiter
    /// to fail (if it is still pending).
    func waitOnLoop<Value: Sendable>(
        register: @escaping @Sendable (LoopWaiter<Value>) -> Void,
        cancel: @escaping @Sendable (CancellationToken) -> Void
    ) async -> Result<Value, QUICNIOError> {
        let token = CancellationToken()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let waiter = LoopWaiter(token: token, continuation: continuation)
                self.execute {
                    if token.isCancelled {
                        waiter.fail(.cancelled)
                    } else {
                        register(waiter)
                    }
                }
            }
        } onCancel: {
            token.cancel()
            self.execute { cancel(token) }
        }
    }

    /// Runs `body` on the loop and returns its result (for operations that complete at once).
    func runOnLoop<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            self.execute { continuation.resume(returning: body()) }
        }
    }
}
