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
