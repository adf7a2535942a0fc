import Synchronization

/// The probe's `ProbeReplyMatcher` shared between the sending task and the agent's tunnel dispatch (which calls
/// `offer` for every received DATAGRAM), plus a wait for "every sent packet answered" that the last reply wakes.
final class ProbeCollector: Sendable {
    private struct State {
        var matcher: ProbeReplyMatcher
        var waiter: CheckedContinuation<Void, Never>?
        /// Set by `finish()`: later packets are no longer matched (the report is written).
        var finished = false
        /// Set when the current wait's timeout passed, even before the wait registered its continuation.
        var timedOut = false
    }

    private let state: Mutex<State>

    init(matcher: ProbeReplyMatcher) {
        state = Mutex(State(matcher: matcher))
    }

    // MARK: - Sending

    func recordSent(sequence: UInt64, size: Int, at now: ContinuousClock.Instant = .now) {
        state.withLock { $0.matcher.recordSent(sequence: sequence, size: size, at: now) }
    }

    func cancelSent(sequence: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.matcher.cancelSent(sequence: sequence)
            return Self.takeWaiterIfDone(&state)
        }
        waiter?.resume()
    }

    // MARK: - Receiving

    /// A packet consumer for `AgentServer.addPacketConsumer`: true when the packet was a reply of this probe.
    /// The receive time is taken here, as early as the packet reaches the probe.
    func offer(_ packet: [UInt8]) -> Bool {
        let now = ContinuousClock.now
        let (ours, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.finished else { return (false, nil) }
            let disposition = state.matcher.handle(packet, at: now)
            return (disposition.isOurs, Self.takeWaiterIfDone(&state))
        }
        waiter?.resume()
        return ours
    }

    // MARK: - Waiting

    /// Returns once every packet sent so far has a reply, or after `timeout`, whichever comes first.
    func waitForReplies(timeout: Duration) async {
        state.withLock { $0.timedOut = false }
        let timer = Task {
            do {
                try await Task.sleep(for: timeout)
                self.timeOut()
            } catch {}   // cancelled: the wait is over
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let over = state.withLock { state -> Bool in
                if state.matcher.awaiting == 0 || state.finished || state.timedOut { return true }
                state.waiter = continuation
                return false
            }
            if over { continuation.resume() }
        }
        timer.cancel()
    }

    /// The wait's timeout: resumes it, or (when it has not registered yet) makes it return at once.
    private func timeOut() {
        state.withLock { state in
            state.timedOut = true
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    private static func takeWaiterIfDone(_ state: inout State) -> CheckedContinuation<Void, Never>? {
        guard state.matcher.awaiting == 0, let waiter = state.waiter else { return nil }
        state.waiter = nil
        return waiter
    }

    // MARK: - Finishing

    /// Stops matching and returns the final state (a pending wait is resumed).
    func finish() -> ProbeReplyMatcher {
        let (matcher, waiter) = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return (state.matcher, state.waiter)
        }
        waiter?.resume()
        return matcher
    }
}
