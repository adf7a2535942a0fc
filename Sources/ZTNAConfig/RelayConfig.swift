/// `relay.json` (DESIGN.md §5). Every key is optional in the file; absent keys take the defaults below.
///
/// ```json
/// { "listen": "0.0.0.0:4433",
///   "identity": { "certificate": "…", "privateKey": "…", "trustRoots": "…" },
///   "admin": "127.0.0.1:9090", "retry": "auto", "retryTokenKey": "…", "revocationList": "…" }
/// ```
public struct RelayConfig: Sendable, Hashable, Codable {
    public static let defaultListen = HostPort(host: "0.0.0.0", port: 4433)
    public static let defaultAdmin = HostPort(host: "127.0.0.1", port: 9090)

    public var listen: HostPort
    public var identity: IdentityConfig
    public var admin: HostPort
    public var retry: RetryMode
    /// File with the Retry-token key shared by all relays of a deployment (DESIGN.md §8).
    public var retryTokenKey: String?
    /// Revoked certificate serials (see ZTNAIdentity's `RevocationList`).
    public var revocationList: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, identity, admin, retry, retryTokenKey, revocationList
    }

    public init(
        listen: HostPort = defaultListen, identity: IdentityConfig = IdentityConfig(), admin: HostPort = defaultAdmin,
        retry: RetryMode = .auto, retryTokenKey: String? = nil, revocationList: String? = nil
    ) {
        self.listen = listen
        self.identity = identity
        self.admin = admin
        self.retry = retry
        self.retryTokenKey = retryTokenKey
        self.revocationList = revocationList
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        listen = try container.decodeIfPresent(HostPort.self, forKey: .listen) ?? Self.defaultListen
        identity = try container.decodeIfPresent(IdentityConfig.self, forKey: .identity) ?? IdentityConfig()
        admin = try container.decodeIfPresent(HostPort.self, forKey: .admin) ?? Self.defaultAdmin
        retry = try container.decodeIfPresent(RetryMode.self, forKey: .retry) ?? .auto
        retryTokenKey = try container.decodeNonEmptyIfPresent(forKey: .retryTokenKey)
        revocationList = try container.decodeNonEmptyIfPresent(forKey: .revocationList)
    }

    /// Decodes and validates `relay.json`'s bytes; errors name `file`.
    public init(json: [UInt8], file: String) throws(ConfigError) {
        self = try ConfigLoader.decode(RelayConfig.self, from: json, file: file)
    }

    /// Reads and decodes a file.
    public static func load(path: String) throws(ConfigError) -> RelayConfig {
        try ConfigLoader.load(RelayConfig.self, path: path)
    }
}
