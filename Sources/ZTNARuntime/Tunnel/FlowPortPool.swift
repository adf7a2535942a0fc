import Synchronization

/// Source ports for the agent's port-forward UDP flows on the tunnel address, unique in the process.
///
/// Every UDP forwarder of a service shares the service's tunnel, and the control plane offers each returning
/// packet to every one of them: a port must therefore name one flow of one forwarder. The range lies above
/// Linux's default ephemeral range (32768–60999), so flows never collide with the source ports the kernel picks
/// for applications using the same tunnel address through the TUN device.
final class FlowPortPool: Sendable {
    /// The pool every forwarder of the process uses.
    static let shared = FlowPortPool(range: 61_000...65_535)

    private struct State {
        var inUse: Set<UInt16> = []
        var next: UInt16
    }

    let range: ClosedRange<UInt16>
    private let state: Mutex<State>

    init(range: ClosedRange<UInt16>) {
        self.range = range
        state = Mutex(State(next: range.lowerBound))
    }

    /// A free port, or nil when all are taken. Ports are handed out round-robin, so a port just released is not
    /// reused at once (late replies of the old flow cannot reach the new one).
    func allocate() -> UInt16? {
        let range = self.range
        return state.withLock { state in
            guard state.inUse.count < range.count else { return nil }
            var candidate = state.next
            while state.inUse.contains(candidate) {
                candidate = candidate == range.upperBound ? range.lowerBound : candidate + 1
            }
            state.inUse.insert(candidate)
            state.next = candidate == range.upperBound ? range.lowerBound : candidate + 1
            return candidate
        }
    }

    func release(_ port: UInt16) {
        _ = state.withLock { $0.inUse.remove(port) }
    }
}
