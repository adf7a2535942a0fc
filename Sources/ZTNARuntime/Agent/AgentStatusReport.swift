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

/// One tunnel connection.
public struct AgentTunnelReport: Sendable, Encodable {
    public let service: String
    public let connector: String
    public let since: Date
    /// `relayed` (direct paths come with NAT traversal), and through which relay (index in `relays`).
    public let path: String
    public let relay: Int
    public let bytesSent: Int
    public let bytesReceived: Int
}

/// One local listener.
public struct AgentForwardReport: Sendable, Encodable {
    public let listen: String
    public let service: String
    public let port: Int
}
