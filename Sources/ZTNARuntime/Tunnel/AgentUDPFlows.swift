import NIOCore
import Synchronization

/// The UDP flows of one port forwarder (DESIGN.md §4, agent side): each local client address is a flow with
/// its own source port on the tunnel address, so replies find their way back. At most `limit` flows; a flow
/// idle (no packet either way) for `idleTimeout` is forgotten and its port returned to the pool.
///
/// Used from the local socket's event loop (lookups per packet), from the control plane's datagram consumer
/// (`client(forPort:)` per reply) and from the idle sweep, hence the lock; it is held for a dictionary
/// operation only.
final class AgentUDPFlows: Sendable {
    private struct Flow {
        var port: UInt16
        var lastActivity: UInt64
    }

    private struct Table {
        var byClient: [SocketAddress: Flow] = [:]
        var clientByPort: [UInt16: SocketAddress] = [:]
        var closed = false
    }

    /// Why no port could be had for a new flow.
    enum Refusal: Error {
        case flowLimit
        case closed
    }

    private let table = Mutex(Table())
    private let pool: FlowPortPool
    private let limit: Int
    private let idleTimeout: TimeAmount
    private let counters: TunnelCounters

    init(pool: FlowPortPool, limit: Int, idleTimeout: TimeAmount, counters: TunnelCounters) {
        self.pool = pool
        self.limit = limit
        self.idleTimeout = idleTimeout
        self.counters = counters
    }

    /// Flows open now.
    var count: Int { table.withLock { $0.byClient.count } }

    // MARK: - Packets

    /// The tunnel source port of `client`'s flow, opening the flow when there is none.
    func port(for client: SocketAddress, now: NIODeadline) -> Result<UInt16, Refusal> {
        let pool = self.pool
        let limit = self.limit
        let result: Result<(UInt16, Bool), Refusal> = table.withLock { table in
            if let flow = table.byClient[client] {
                table.byClient[client]?.lastActivity = now.uptimeNanoseconds
                return .success((flow.port, false))
            }
            guard !table.closed else { return .failure(.closed) }
            guard table.byClient.count < limit, let port = pool.allocate() else { return .failure(.flowLimit) }
            table.byClient[client] = Flow(port: port, lastActivity: now.uptimeNanoseconds)
            table.clientByPort[port] = client
            return .success((port, true))
        }
        return result.map { port, created in
            if created { counters.udpFlowOpened() }
            return port
        }
    }

    /// The local client whose flow uses tunnel port `port`; nil when no flow of ours does.
    func client(forPort port: UInt16, now: NIODeadline) -> SocketAddress? {
        table.withLock { table in
            guard let client = table.clientByPort[port] else { return nil }
            table.byClient[client]?.lastActivity = now.uptimeNanoseconds
            return client
        }
    }

    // MARK: - Ending flows

    /// Forgets flows idle for the idle timeout and returns their ports.
    func expire(now: NIODeadline) {
        let cutoff = (now - idleTimeout).uptimeNanoseconds
        let ports: [UInt16] = table.withLock { table in
            let idle = table.byClient.filter { $0.value.lastActivity < cutoff }
            for (client, flow) in idle {
                table.byClient[client] = nil
                table.clientByPort[flow.port] = nil
            }
            return idle.map { $0.value.port }
        }
        release(ports)
    }

    /// Forgets every flow; no new one opens.
    func closeAll() {
        let ports: [UInt16] = table.withLock { table in
            table.closed = true
            defer {
                table.byClient.removeAll()
                table.clientByPort.removeAll()
            }
            return table.byClient.values.map(\.port)
        }
        release(ports)
    }

    private func release(_ ports: [UInt16]) {
        for port in ports {
            pool.release(port)
            counters.udpFlowClosed()
        }
    }
}
