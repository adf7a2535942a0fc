/// The direct-path metrics of an agent or connector (DESIGN.md §6, §8): `ztna_tunnels{path}` (gauge),
/// `ztna_tunnel_path_changes_total{direction="to_direct"|"to_relayed"}` and
/// `ztna_traversal_attempts_total{outcome="succeeded"|"failed"}`.
final class DirectPathMetrics: Sendable {
    private let direct: GaugeHandle?
    private let relayed: GaugeHandle?
    private let toDirect: CounterHandle?
    private let toRelayed: CounterHandle?
    private let succeeded: CounterHandle?
    private let failed: CounterHandle?

    init(registry: MetricsRegistry) {
        let tunnels = "Tunnels by the path they use now."
        direct = try? registry.gauge("ztna_tunnels", help: tunnels, labels: [("path", "direct")])
        relayed = try? registry.gauge("ztna_tunnels", help: tunnels, labels: [("path", "relayed")])
        let changes = "Tunnel path changes between the relay and a direct path."
        toDirect = try? registry.counter("ztna_tunnel_path_changes_total", help: changes, labels: [("direction", "to_direct")])
        toRelayed = try? registry.counter("ztna_tunnel_path_changes_total", help: changes, labels: [("direction", "to_relayed")])
        let attempts = "NAT traversal attempts by outcome (agents attempt; connectors follow)."
        succeeded = try? registry.counter("ztna_traversal_attempts_total", help: attempts, labels: [("outcome", "succeeded")])
        failed = try? registry.counter("ztna_traversal_attempts_total", help: attempts, labels: [("outcome", "failed")])
    }

    func tunnelOpened(direct isDirect: Bool) {
        (isDirect ? direct : relayed)?.increment()
    }

    func tunnelClosed(direct isDirect: Bool) {
        (isDirect ? direct : relayed)?.decrement()
    }

    func pathChanged(toDirect: Bool) {
        if toDirect {
            relayed?.decrement()
            direct?.increment()
            self.toDirect?.increment()
        } else {
            direct?.decrement()
            relayed?.increment()
            toRelayed?.increment()
        }
    }

    func attemptsEnded(succeeded newSucceeded: Int, failed newFailed: Int) {
        if newSucceeded > 0 { succeeded?.increment(by: UInt64(newSucceeded)) }
        if newFailed > 0 { failed?.increment(by: UInt64(newFailed)) }
    }
}
