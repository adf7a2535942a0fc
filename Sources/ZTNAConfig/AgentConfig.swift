import ZTNAProtocol

/// `agent.json` (DESIGN.md §5). Absent keys take the defaults below; no `"tun"` key means port-forward
/// mode only (no root needed).
///
/// ```json
/// { "relays": ["relay.example.com:4433"], "identity": { … }, "admin": "127.0.0.1:9092",
///   "tun": { "name": "ztna0", "mtu": 1280, "address": "10.100.0.254" },
///   "services": [ { "id": "web", "virtualIP": "10.100.0.2" }, { "id": "echo", "virtualIP": "10.100.0.1" } ],
///   "forwards": [ { "listen": "127.0.0.1:8080", "service": "web", "port": 80, "protocol": "tcp" } ],
///   "revocationList": "/etc/ztna/revoked.txt", "direct": true }
/// ```
///
/// Validation: service ids valid and unique; virtual IPs are IPv4/IPv6 literals, unique, and not the TUN
/// address; every forward names a declared service; no two forwards share a listen address and protocol.
public struct AgentConfig: Sendable, Hashable, Codable {
    public static let defaultAdmin = HostPort(host: "127.0.0.1", port: 9092)

    public var relays: [HostPort]
    public var identity: IdentityConfig
    public var admin: HostPort
    public var tun: TunConfig?
    public var services: [AgentService]
    public var forwards: [ForwardConfig]
    /// Revoked certificate serials, optional (same format as the relay's: ZTNAIdentity's `RevocationList`);
    /// connectors whose serial is listed are refused, and their tunnels closed on SIGHUP.
    public var revocationList: String?
    /// Direct paths (NAT traversal, DESIGN.md §6) for this node's tunnels; default true. False keeps every
    /// tunnel on the relay, and its status says so (`disabled-locally`; the peer sees `peer-lacks-support`).
    public var direct: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case relays, identity, admin, tun, services, forwards, revocationList, direct
    }

    public init(
        relays: [HostPort] = [], identity: IdentityConfig = IdentityConfig(), admin: HostPort = defaultAdmin,
        tun: TunConfig? = nil, services: [AgentService] = [], forwards: [ForwardConfig] = [],
        revocationList: String? = nil, direct: Bool = true
    ) {
        self.relays = relays
        self.identity = identity
        self.admin = admin
        self.tun = tun
        self.services = services
        self.forwards = forwards
        self.revocationList = revocationList
        self.direct = direct
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        relays = try container.decodeIfPresent([HostPort].self, forKey: .relays) ?? []
        identity = try container.decodeIfPresent(IdentityConfig.self, forKey: .identity) ?? IdentityConfig()
        admin = try container.decodeIfPresent(HostPort.self, forKey: .admin) ?? Self.defaultAdmin
        tun = try container.decodeIfPresent(TunConfig.self, forKey: .tun)
        services = try container.decodeIfPresent([AgentService].self, forKey: .services) ?? []
        forwards = try container.decodeIfPresent([ForwardConfig].self, forKey: .forwards) ?? []
        revocationList = try container.decodeNonEmptyIfPresent(forKey: .revocationList)
        direct = try container.decodeIfPresent(Bool.self, forKey: .direct) ?? true
        try validateReferences(servicesPath: container.path(.services), forwardsPath: container.path(.forwards))
    }

    /// Cross-entry rules, reported at the later of two clashing entries.
    private func validateReferences(servicesPath: [any CodingKey], forwardsPath: [any CodingKey]) throws {
        var ids: Set<String> = []
        var addresses: Set<IPAddressLiteral> = []
        for (index, service) in services.enumerated() {
            let path = servicesPath + [AnyKey(index: index)]
            guard ids.insert(service.id.description).inserted else {
                throw ConfigIssue.invalid(path + [AnyKey("id")], "duplicate service id \"\(service.id)\"")
            }
            guard addresses.insert(service.virtualIP).inserted else {
                throw ConfigIssue.invalid(path + [AnyKey("virtualIP")], "\(service.virtualIP) is already another service's virtual IP")
            }
            if let address = tun?.address, address == service.virtualIP {
                throw ConfigIssue.invalid(path + [AnyKey("virtualIP")], "\(address) is the TUN interface's own address")
            }
        }
        var listeners: Set<String> = []
        for (index, forward) in forwards.enumerated() {
            let path = forwardsPath + [AnyKey(index: index)]
            guard ids.contains(forward.service.description) else {
                throw ConfigIssue.invalid(path + [AnyKey("service")], "service \"\(forward.service)\" is not declared in \"services\"")
            }
            guard listeners.insert("\(forward.protocol) \(forward.listen)").inserted else {
                throw ConfigIssue.invalid(path + [AnyKey("listen")], "another \(forward.protocol) forward already listens on \(forward.listen)")
            }
        }
    }

    /// Decodes and validates `agent.json`'s bytes; errors name `file`.
    public init(json: [UInt8], file: String) throws(ConfigError) {
        self = try ConfigLoader.decode(AgentConfig.self, from: json, file: file)
    }

    /// Reads and decodes a file.
    public static func load(path: String) throws(ConfigError) -> AgentConfig {
        try ConfigLoader.load(AgentConfig.self, path: path)
    }
}
