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

/// One open tunnel: who, for which service, since when, and its path (`TunnelPathReport`'s keys, at this level).
public struct ConnectorTunnelReport: Sendable, Encodable {
    public let agent: String
    public let service: String
    /// When the tunnel was admitted.
    public let openedAt: Date
    /// `path`, `remote`, `reason`, `since`, `pathChanges`, `rttMillis`, `bytes`.
    public let path: TunnelPathReport

    enum CodingKeys: String, CodingKey {
        case agent, service, openedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agent, forKey: .agent)
        try container.encode(service, forKey: .service)
        try container.encode(openedAt, forKey: .openedAt)
        try path.encode(to: encoder)
    }
}
