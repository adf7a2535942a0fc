#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// `/api/v1/status` of an agent (DESIGN.md §8): relay links, tunnels with their path, forwards, services.
public struct AgentStatusReport: Sendable, Encodable {
    public var role = "agent"
    public let startedAt: Date
    public let relays: [RelayLinkStatus]
    public let tunnels: [AgentTunnelReport]
    public let forwards: [AgentForwardReport]
    public let services: [TunnelServiceReport]
    /// TUN mode's interface; nil in port-forward mode.
    public let tun: AgentTunReport?
}

/// The TUN interface of an agent in TUN mode.
public struct AgentTunReport: Sendable, Encodable {
    public let name: String
    public let mtu: Int
    public let address: String
    /// The host routes installed, one per service virtual IP.
    public let routes: [String]
    /// TCP connections the userspace TCP endpoint terminates now.
    public let tcpConnections: Int
}

/// One tunnel connection: its connector, relay, traffic, and path (`TunnelPathReport`'s keys, at this level).
public struct AgentTunnelReport: Sendable, Encodable {
    public let service: String
    public let connector: String
    /// When the tunnel came up.
    public let openedAt: Date
    /// The relay carrying the relayed path (index in `relays`); the fallback while direct.
    public let relay: Int
    public let bytesSent: Int
    public let bytesReceived: Int
    /// `path`, `remote`, `reason`, `since`, `pathChanges`, `rttMillis`, `bytes`.
    public let path: TunnelPathReport

    enum CodingKeys: String, CodingKey {
        case service, connector, openedAt, relay, bytesSent, bytesReceived
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(service, forKey: .service)
        try container.encode(connector, forKey: .connector)
        try container.encode(openedAt, forKey: .openedAt)
        try container.encode(relay, forKey: .relay)
        try container.encode(bytesSent, forKey: .bytesSent)
        try container.encode(bytesReceived, forKey: .bytesReceived)
        try path.encode(to: encoder)
    }
}

/// One local listener.
public struct AgentForwardReport: Sendable, Encodable {
    public let listen: String
    public let service: String
    public let port: Int
}
