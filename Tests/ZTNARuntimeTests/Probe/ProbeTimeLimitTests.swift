import Synchronization
import Testing
@testable import ZTNARuntime

@Suite("Probe time limit", .timeLimit(.minutes(1)))
struct ProbeTimeLimitTests {
    /// An operation that ignores cancellation until opened, as the agent's tunnel opening does.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

        func wait() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let open = state.withLock { state -> Bool in
                    if !state.open { state.waiter = continuation }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }

        func open() {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.open = true
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }
    }

    struct Refused: Error {}

    @Test func returnsAtTheLimitEvenWhenTheOperationIgnoresCancellation() async {
        let gate = Gate()
        let result = await ProbeTimeLimit.run(.milliseconds(20)) {
            await gate.wait()
            return 1
        }
        #expect(result == nil)
        gate.open()
    }

    @Test func returnsTheOperationsValueOrError() async throws {
        let value = await ProbeTimeLimit.run(.seconds(600)) { 42 }
        #expect(try value?.get() == 42)
        let failure = await ProbeTimeLimit.run(.seconds(600)) { () async throws -> Int in throw Refused() }
        guard case .failure(let error)? = failure else {
            Issue.record("expected the operation's error, got \(String(describing: failure))")
            return
        }
        #expect(error is Refused)
    }
}
