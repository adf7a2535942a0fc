import ZTNAProtocol

/// `connector.json` (DESIGN.md §5). Absent keys take the defaults below.
///
/// ```json
/// { "relays": ["relay.example.com:4433"], "listen": "0.0.0.0:4434", "identity": { … }, "admin": "127.0.0.1:9091",
///   "services": [ { "id": "web",  "ports": [ { "port": 80, "protocol": "tcp", "backend": "127.0.0.1:8080" } ] },
///                 { "id": "echo", "ports": [ { "port": 7, "protocol": "udp", "backend": "127.0.0.1:9999" } ], "icmp": true } ],
///   "revocationList": "/etc/ztna/revoked.txt", "direct": true }
/// ```
///
/// Validation: service ids are valid and unique; each service offers at least one port or ICMP; within a
/// service each (port, protocol) appears once; ports are 1–65535; backends are `host:port`.
public struct ConnectorConfig: Sendable, Hashable, Codable {
    public static let defaultListen = HostPort(host: "0.0.0.0", port: 4434)
    public static let defaultAdmin = HostPort(host: "127.0.0.1", port: 9091)

    public var relays: [HostPort]
    public var listen: HostPort
    public var identity: IdentityConfig
    public var admin: HostPort
    public var services: [ConnectorService]
    /// Revoked certificate serials, optional (same format as the relay's: ZTNAIdentity's `RevocationList`);
    /// agents whose serial is listed are refused, and disconnected on SIGHUP.
    public var revocationList: String?
    /// Direct paths (NAT traversal, DESIGN.md §6) for this node's tunnels; default true. False keeps every
    /// tunnel on the relay, and its status says so (`disabled-locally`; the peer sees `peer-lacks-support`).
    public var direct: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case relays, listen, identity, admin, services, revocationList, direct
    }

    public init(
        relays: [HostPort] = [], listen: HostPort = defaultListen, identity: IdentityConfig = IdentityConfig(),
        admin: HostPort = defaultAdmin, services: [ConnectorService] = [], revocationList: String? = nil, direct: Bool = true
    ) {
        self.relays = relays
        self.listen = listen
        self.identity = identity
        self.admin = admin
        self.services = services
        self.revocationList = revocationList
        self.direct = direct
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        relays = try container.decodeIfPresent([HostPort].self, forKey: .relays) ?? []
        listen = try container.decodeIfPresent(HostPort.self, forKey: .listen) ?? Self.defaultListen
        identity = try container.decodeIfPresent(IdentityConfig.self, forKey: .identity) ?? IdentityConfig()
        admin = try container.decodeIfPresent(HostPort.self, forKey: .admin) ?? Self.defaultAdmin
        services = try container.decodeIfPresent([ConnectorService].self, forKey: .services) ?? []
        revocationList = try container.decodeNonEmptyIfPresent(forKey: .revocationList)
        direct = try container.decodeIfPresent(Bool.self, forKey: .direct) ?? true
        var seen: Set<String> = []
        for (index, service) in services.enumerated() where !seen.insert(service.id.description).inserted {
            throw ConfigIssue.invalid(
                container.path(.services) + [AnyKey(index: index), AnyKey("id")],
                "duplicate service id \"\(service.id)\"")
        }
    }

    /// Decodes and validates `connector.json`'s bytes; errors name `file`.
    public init(json: [UInt8], file: String) throws(ConfigError) {
        self = try ConfigLoader.decode(ConnectorConfig.self, from: json, file: file)
    }

    /// Reads and decodes a file.
    public static func load(path: String) throws(ConfigError) -> ConnectorConfig {
        try ConfigLoader.load(ConnectorConfig.self, path: path)
    }
}
