import ZTNAConfig

/// One service's tunnel traffic for `/api/v1/status` (connector and agent).
public struct TunnelServiceReport: Sendable, Encodable {
    public let id: String
    /// Agent: the service's virtual IP. Connector: nil.
    public let virtualIP: String?
    /// Connector: offered ports (`tcp/80 → 127.0.0.1:8080`). Agent: nil.
    public let ports: [String]?
    /// Toward the connector (up) and back (down), payload bytes.
    public let bytesUp: UInt64
    public let bytesDown: UInt64
    /// TCP streams by TCP_CONNECT status (`connected`, `refused`, …), only those seen.
    public let tcpStreams: [String: UInt64]
    public let udpFlowsLive: Int
    public let udpFlowsCreated: UInt64
    public let icmpEchoesAnswered: UInt64
    /// Dropped packets by reason, only those seen.
    public let drops: [String: UInt64]

    init(id: String, virtualIP: String? = nil, ports: [String]? = nil, counters: TunnelCounters?) {
        self.id = id
        self.virtualIP = virtualIP
        self.ports = ports
        let snapshot = counters?.snapshot()
        bytesUp = snapshot?.bytesUp ?? 0
        bytesDown = snapshot?.bytesDown ?? 0
        var streams: [String: UInt64] = [:]
        for (status, count) in snapshot?.tcpStreams ?? [:] where count > 0 { streams["\(status)"] = count }
        tcpStreams = streams
        udpFlowsLive = snapshot?.udpFlowsLive ?? 0
        udpFlowsCreated = snapshot?.udpFlowsCreated ?? 0
        icmpEchoesAnswered = snapshot?.icmpEchoesAnswered ?? 0
        var drops: [String: UInt64] = [:]
        for (reason, count) in snapshot?.drops ?? [:] where count > 0 { drops[reason.label] = count }
        self.drops = drops
    }

    /// A connector's service: its ports and counters.
    init(connector service: ConnectorService, counters: TunnelCounters?) {
        self.init(id: "\(service.id)", ports: service.ports.map { "\($0.protocol)/\($0.port) → \($0.backend)" },
                  counters: counters)
    }

    /// An agent's service: its virtual IP and counters.
    init(agent service: AgentService, counters: TunnelCounters?) {
        self.init(id: "\(service.id)", virtualIP: service.virtualIP.description, counters: counters)
    }
}
