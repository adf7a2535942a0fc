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

extension ForwardConfig {
    /// Parses the `--forward` flag (DESIGN.md §5): `[udp:|tcp:]LISTEN=SERVICE:PORT`, for example
    /// `127.0.0.1:8080=web:80` or `udp:127.0.0.1:5353=dns:53`. LISTEN is `host:port` (`[v6]:port`; port 0: any
    /// free port). Returns why the text is not a forward otherwise.
    public static func parse(flag text: String) -> Result<ForwardConfig, HostPortError> {
        var rest = Substring(text)
        var transport = TransportProtocol.tcp
        if rest.hasPrefix("udp:") {
            transport = .udp
            rest = rest.dropFirst(4)
        } else if rest.hasPrefix("tcp:") {
            rest = rest.dropFirst(4)
        }
        guard let equals = rest.lastIndex(of: "=") else {
            return .failure(HostPortError("expected LISTEN=SERVICE:PORT, e.g. 127.0.0.1:8080=web:80"))
        }
        let listenText = String(rest[..<equals])
        let target = rest[rest.index(after: equals)...]
        let listen: HostPort
        switch HostPort.parse(listenText, allowingPortZero: true) {
        case .success(let value): listen = value
        case .failure(let error): return .failure(HostPortError("listen address \(listenText): \(error.reason)"))
        }
        guard let colon = target.lastIndex(of: ":"), let service = ServiceID(String(target[..<colon])) else {
            return .failure(HostPortError("\"\(target)\" is not SERVICE:PORT with a valid service id"))
        }
        guard let port = UInt16(target[target.index(after: colon)...]), port != 0 else {
            return .failure(HostPortError("\"\(target[target.index(after: colon)...])\" is not a port 1–65535"))
        }
        return .success(ForwardConfig(listen: listen, service: service, port: port, protocol: transport))
    }
}
