public import ZTNAProtocol

/// One entry of `connector.json`'s `"services"`: what the connector offers for a service id.
public struct ConnectorService: Sendable, Hashable, Codable {
    public var id: ServiceID
    public var ports: [ServicePort]
    /// Whether ICMP echo to the service is answered (proxied to the backends' hosts).
    public var icmp: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, ports, icmp
    }

    public init(id: ServiceID, ports: [ServicePort], icmp: Bool = false) {
        self.id = id
        self.ports = ports
        self.icmp = icmp
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeServiceID(forKey: .id)
        ports = try container.decodeIfPresent([ServicePort].self, forKey: .ports) ?? []
        icmp = try container.decodeIfPresent(Bool.self, forKey: .icmp) ?? false
        guard !ports.isEmpty || icmp else {
            throw ConfigIssue.invalid(container.path(.ports), "service \"\(id)\" offers nothing: list ports or set \"icmp\": true")
        }
        var seen: Set<ServicePort.Key> = []
        for (index, port) in ports.enumerated() where !seen.insert(port.key).inserted {
            throw ConfigIssue.invalid(
                container.path(.ports) + [AnyKey(index: index)], "duplicate \(port.protocol) port \(port.port)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.description, forKey: .id)
        try container.encode(ports, forKey: .ports)
        try container.encode(icmp, forKey: .icmp)
    }
}

/// One offered port: `{ "port": 80, "protocol": "tcp", "backend": "127.0.0.1:8080" }`.
public struct ServicePort: Sendable, Hashable, Codable {
    public var port: UInt16
    public var `protocol`: TransportProtocol
    /// Where the connector sends the traffic; a host name is resolved at use time.
    public var backend: HostPort

    enum CodingKeys: String, CodingKey, CaseIterable {
        case port, `protocol`, backend
    }

    struct Key: Hashable {
        var port: UInt16
        var `protocol`: TransportProtocol
    }

    var key: Key { Key(port: port, protocol: `protocol`) }

    public init(port: UInt16, protocol: TransportProtocol, backend: HostPort) {
        self.port = port
        self.protocol = `protocol`
        self.backend = backend
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        port = try container.decodePort(forKey: .port)
        `protocol` = try container.decode(TransportProtocol.self, forKey: .protocol)
        backend = try container.decode(HostPort.self, forKey: .backend)
    }
}
