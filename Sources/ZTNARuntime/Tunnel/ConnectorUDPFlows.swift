import NIOCore
import Synchronization
import ZTNAConfig

/// The UDP flows of one connector tunnel, keyed by 5-tuple (DESIGN.md §4): at most
/// `TunnelLimits.maxFlowsPerTunnel`, each closed after `udpFlowIdleTimeout` without a packet either way.
///
/// The table is shared by the tunnel's datagram loop (lookups, one per packet), the idle sweep, and each
/// flow's task (removal when it ends), hence the lock; it is held for a dictionary operation only.
final class ConnectorUDPFlows: Sendable {
    private struct Table {
        var flows: [UDPFlowKey: ConnectorUDPFlow] = [:]
        /// Set by `closeAll()`: the tunnel is ending and takes no new flow.
        var closed = false
    }

    private let table = Mutex(Table())
    private let limits: TunnelLimits
    private let counters: TunnelCounters

    init(limits: TunnelLimits, counters: TunnelCounters) {
        self.limits = limits
        self.counters = counters
    }

    /// Flows in the table now.
    var count: Int { table.withLock { $0.flows.count } }

    // MARK: - Packets

    /// Queues `payload` on the flow of `key`, creating the flow when there is none. Returns the flow when it
    /// was created: the caller runs it (`ConnectorUDPFlow.run`) and then calls `ended(_:)`.
    func dispatch(_ key: UDPFlowKey, payload: ArraySlice<UInt8>, backend: HostPort,
                  now: NIODeadline) -> ConnectorUDPFlow? {
        let limit = limits.maxFlowsPerTunnel
        let queueLength = limits.udpFlowQueueLength
        let found: (flow: ConnectorUDPFlow, created: Bool)? = table.withLock { table in
            if let flow = table.flows[key] { return (flow, false) }
            guard !table.closed, table.flows.count < limit else { return nil }
            let flow = ConnectorUDPFlow(key: key, backend: backend, queueLength: queueLength, now: now, counters: counters)
            table.flows[key] = flow
            return (flow, true)
        }
        guard let found else {
            counters.drop(.flowLimit)
            return nil
        }
        if found.created { counters.udpFlowOpened() }
        if let reason = found.flow.enqueue(ByteBuffer(bytes: payload), now: now) { counters.drop(reason) }
        return found.created ? found.flow : nil
    }

    // MARK: - Ending flows

    /// A flow's task returned: forget it (unless a newer flow took its key) and count it closed.
    func ended(_ flow: ConnectorUDPFlow) {
        table.withLock { table in
            if table.flows[flow.key] === flow { table.flows[flow.key] = nil }
        }
        flow.finish()
        counters.udpFlowClosed()
    }

    /// Ends every flow idle for the idle timeout (a later packet of the same 5-tuple opens a new flow).
    func expire(now: NIODeadline) {
        let cutoff = now - limits.udpFlowIdleTimeout
        let idle: [ConnectorUDPFlow] = table.withLock { table in
            let idle = table.flows.values.filter { $0.isIdle(since: cutoff) }
            for flow in idle { table.flows[flow.key] = nil }
            return idle
        }
        for flow in idle { flow.finish() }
    }

    /// The tunnel is ending: every flow ends and no new one opens.
    func closeAll() {
        let all: [ConnectorUDPFlow] = table.withLock { table in
            table.closed = true
            defer { table.flows.removeAll() }
            return Array(table.flows.values)
        }
        for flow in all { flow.finish() }
    }
}
