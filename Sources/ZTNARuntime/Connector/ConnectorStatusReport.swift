import ZTNAConfig

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// `/api/v1/status` of a connector (DESIGN.md §8): its relay links, its open tunnels, its services.
public struct ConnectorStatusReport: Sendable, Encodable {
    public var role = "connector"
    public let listen: String
    public let startedAt: Date
    public let relays: [RelayLinkStatus]
    public let tunnels: [ConnectorTunnelReport]
    public let services: [TunnelServiceReport]
    /// Tunnel connections closed because the agent's certificate did not grant the service (or named none).
    public let tunnelsRefused: Int
}

/// One open tunnel.
public struct ConnectorTunnelReport: Sendable, Encodable {
    public let agent: String
    public let service: String
    public let since: Date
    /// Tunnels ride the relay until direct paths exist (next issue).
    public var path = "relayed"
}
