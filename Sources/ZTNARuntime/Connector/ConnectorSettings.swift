public import ZTNAConfig

/// Everything the connector needs to start, after `connector.json` and the flags are merged (DESIGN.md §5).
public struct ConnectorSettings: Sendable {
    /// Relays to register with (each one; host names resolved at every connection attempt).
    public var relays: [HostPort]
    /// The one UDP socket for everything: relay connections and tunnels (DESIGN.md §5, default `0.0.0.0:4434`).
    public var listen: HostPort
    public var certificate: String
    public var privateKey: String
    public var trustRoots: String
    /// Admin HTTP address; nil: none.
    public var admin: HostPort?
    public var services: [ConnectorService]
    /// Revoked certificate serials (agents refused, and disconnected on `reload()`); nil: none.
    public var revocationList: String?
    /// Direct paths (NAT traversal) for the tunnels agents open; false keeps them relayed (DESIGN.md §6).
    public var direct = true

    public init(relays: [HostPort], listen: HostPort, certificate: String, privateKey: String, trustRoots: String,
                admin: HostPort? = ConnectorConfig.defaultAdmin, services: [ConnectorService]) {
        self.relays = relays
        self.listen = listen
        self.certificate = certificate
        self.privateKey = privateKey
        self.trustRoots = trustRoots
        self.admin = admin
        self.services = services
    }

    /// From a decoded `connector.json` (flags already applied); `file` names it in errors.
    public init(config: ConnectorConfig, file: String) throws(StartupError) {
        let identity = config.identity
        guard let certificate = identity.certificate, let privateKey = identity.privateKey,
              let trustRoots = identity.trustRoots else {
            throw StartupError("\(file): missing \(identity.missingKeys.joined(separator: ", ")) (set it in the file or with --cert/--key/--ca)")
        }
        guard !config.relays.isEmpty else { throw StartupError("\(file): no relays (set \"relays\" or --relay)") }
        guard !config.services.isEmpty else { throw StartupError("\(file): no services to offer (set \"services\")") }
        self.init(relays: config.relays, listen: config.listen, certificate: certificate, privateKey: privateKey,
                  trustRoots: trustRoots, admin: config.admin, services: config.services)
        revocationList = config.revocationList
        direct = config.direct
    }
}
