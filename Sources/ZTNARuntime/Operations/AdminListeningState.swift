import NIOCore
import Synchronization

// MARK: - AdminListeningState

/// The lifecycle of the admin server's listening socket, and the tasks waiting for it.
///
/// ```
///   idle(waiters) ──listening(address)──▶ listening(address) ──finished──▶ finished(error)
///        └─────────────────────finished(error)─────────────────────────────────┘
/// ```
/// Waiters are resumed exactly once: with the address, with the failure, or when their task is cancelled.
final class AdminListeningState: Sendable {
    typealias Waiter = CheckedContinuation<Result<SocketAddress, AdminServerError>, Never>

    private enum State {
        case idle(waiters: [UInt64: Waiter])
        case listening(SocketAddress)
        case finished(AdminServerError)
    }

    private let state = Mutex<State>(.idle(waiters: [:]))
    private let nextWaiterID = Atomic<UInt64>(0)

    // MARK: - Getters

    /// The bound address while listening.
    var address: SocketAddress? {
        self.state.withLock { state in
            if case .listening(let address) = state { return address }
            return nil
        }
    }

    // MARK: - Transitions

    /// The socket is bound: resume every waiter with its address.
    func markListening(_ address: SocketAddress) {
        let waiters: [Waiter] = self.state.withLock { state in
            guard case .idle(let waiters) = state else { return [] }
            state = .listening(address)
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: .success(address)) }
    }

    /// The server ended, normally or not: later waiters get `error`; pending ones too.
    func markFinished(_ error: AdminServerError) {
        let waiters: [Waiter] = self.state.withLock { state in
            let pending: [Waiter]
            if case .idle(let waiters) = state { pending = Array(waiters.values) } else { pending = [] }
            state = .finished(error)
            return pending
        }
        for waiter in waiters { waiter.resume(returning: .failure(error)) }
    }

    // MARK: - Waiting

    /// The bound address, waiting until the server listens or fails.
    func wait() async throws(AdminServerError) -> SocketAddress {
        let entry: Result<SocketAddress, AdminServerError>? = self.state.withLock { state in
            switch state {
            case .idle: return nil
            case .listening(let address): return .success(address)
            case .finished(let error): return .failure(error)
            }
        }
        if let entry { return try entry.get() }
        let id = self.nextWaiterID.wrappingAdd(1, ordering: .relaxed).oldValue
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: Waiter) in
                let settled: Result<SocketAddress, AdminServerError>? = self.state.withLock { state in
                    switch state {
                    case .idle(var waiters):
                        if Task.isCancelled { return .failure(Self.cancelled) }
                        waiters[id] = continuation
                        state = .idle(waiters: waiters)
                        return nil
                    case .listening(let address):
                        return .success(address)
                    case .finished(let error):
                        return .failure(error)
                    }
                }
                if let settled { continuation.resume(returning: settled) }
            }
        } onCancel: {
            let waiter: Waiter? = self.state.withLock { state in
                guard case .idle(var waiters) = state else { return nil }
                let waiter = waiters.removeValue(forKey: id)
                state = .idle(waiters: waiters)
                return waiter
            }
            waiter?.resume(returning: .failure(Self.cancelled))
        }
        return try result.get()
    }

    private static let cancelled = AdminServerError(.stopped, "waiting task cancelled")
}
