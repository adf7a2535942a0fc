public import ZTNAProtocol

/// One entry of `agent.json`'s `"forwards"`: a local port that carries traffic to a service's port
/// (the no-root mode). `"protocol"` defaults to `"tcp"`, as `--forward` does without a `udp:` prefix.
public struct ForwardConfig: Sendable, Hashable, Codable {
    public var listen: HostPort
    public var service: ServiceID
    public var port: UInt16
    public var `protocol`: TransportProtocol

    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, service, port, `protocol`
    }

    public init(listen: HostPort, service: ServiceID, port: UInt16, protocol: TransportProtocol = .tcp) {
        self.listen = listen
        self.service = service
        self.port = port
        self.protocol = `protocol`
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        listen = try container.decode(HostPort.self, forKey: .listen)
        service = try container.decodeServiceID(forKey: .service)
        port = try container.decodePort(forKey: .port)
        `protocol` = try container.decodeIfPresent(TransportProtocol.self, forKey: .protocol) ?? .tcp
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(listen, forKey: .listen)
        try container.encode(service.description, forKey: .service)
        try container.encode(port, forKey: .port)
        try container.encode(`protocol`, forKey: .protocol)
    }
}
