import Synchronization
import ZTNAProtocol

/// Publishes each service's `TunnelCounters` into Prometheus at scrape time (connector and agent, DESIGN.md §8):
/// `ztna_tunnel_bytes_total{service,direction}`, `ztna_tunnel_tcp_streams_total{service,status}`,
/// `ztna_tunnel_udp_flows{service}` and `ztna_tunnel_drops_total{service,reason}`. Service ids come from the
/// operator's configuration, never from peers, so the label sets stay bounded.
final class TunnelMetricsPublisher: Sendable {
    private let registry: MetricsRegistry
    private let counters: [ServiceID: TunnelCounters]
    private let interfaceCounters: TunnelCounters?
    private let mirrors = Mutex<[String: CounterMirror]>([:])

    /// `interfaceCounters`: the agent's TUN drops that belong to no service, as `ztna_agent_tun_drops_total{reason}`.
    init(registry: MetricsRegistry, counters: [ServiceID: TunnelCounters], interfaceCounters: TunnelCounters? = nil) {
        self.registry = registry
        self.counters = counters
        self.interfaceCounters = interfaceCounters
    }

    /// Adds the scrape-time hook to the registry.
    func install() {
        registry.addCollectHook { [self] in publish() }
    }

    func publish() {
        if let interfaceCounters {
            for (reason, count) in interfaceCounters.snapshot().drops where count > 0 {
                publish("ztna_agent_tun_drops_total", "Packets the agent's TUN dropped that belong to no service, by reason.",
                        [("reason", reason.label)], count)
            }
        }
        for (service, counters) in counters {
            let snapshot = counters.snapshot()
            let id = "\(service)"
            publish("ztna_tunnel_bytes_total", "Tunnel payload bytes by service and direction.",
                    [("service", id), ("direction", "up")], snapshot.bytesUp)
            publish("ztna_tunnel_bytes_total", "Tunnel payload bytes by service and direction.",
                    [("service", id), ("direction", "down")], snapshot.bytesDown)
            for (status, count) in snapshot.tcpStreams {
                publish("ztna_tunnel_tcp_streams_total", "TCP streams by service and TCP_CONNECT status.",
                        [("service", id), ("status", "\(status)")], count)
            }
            for (reason, count) in snapshot.drops {
                publish("ztna_tunnel_drops_total", "Dropped tunnel packets by service and reason.",
                        [("service", id), ("reason", reason.label)], count)
            }
            try? registry.gauge("ztna_tunnel_udp_flows", help: "Live UDP flows by service.",
                                labels: [("service", id)]).set(Int64(snapshot.udpFlowsLive))
        }
    }

    private func publish(_ name: String, _ help: String, _ labels: [(String, String)], _ total: UInt64) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let mirror: CounterMirror? = mirrors.withLock { table in
            if let existing = table[key] { return existing }
            guard let handle = try? registry.counter(name, help: help, labels: labels) else { return nil }
            let created = handle.makeMirror()
            table[key] = created
            return created
        }
        mirror?.publish(total: total)
    }
}
