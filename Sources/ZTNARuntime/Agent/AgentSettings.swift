public import IPPacket
public import ZTNAConfig

/// Everything the agent needs to start, after `agent.json` and the flags are merged (DESIGN.md §5).
public struct AgentSettings: Sendable {
    /// Relays in order of preference: the agent uses the first healthy one and fails over to the next.
    public var relays: [HostPort]
    public var certificate: String
    public var privateKey: String
    public var trustRoots: String
    public var admin: HostPort?
    public var services: [AgentService]
    public var forwards: [ForwardConfig]
    /// The agent's own address inside tunnels (source of its UDP/ICMP packets): `tun.address`, else 10.100.0.254.
    public var tunnelAddress: IPAddress
    /// Where the agent's UDP socket binds (relay connections and tunnels): any address, an ephemeral port.
    public var bindHost = "0.0.0.0"

    public static let defaultTunnelAddress = IPAddress.v4(IPv4Address(10, 100, 0, 254))

    public init(relays: [HostPort], certificate: String, privateKey: String, trustRoots: String,
                admin: HostPort? = AgentConfig.defaultAdmin, services: [AgentService], forwards: [ForwardConfig],
                tunnelAddress: IPAddress = defaultTunnelAddress) {
        self.relays = relays
        self.certificate = certificate
        self.privateKey = privateKey
        self.trustRoots = trustRoots
        self.admin = admin
        self.services = services
        self.forwards = forwards
        self.tunnelAddress = tunnelAddress
    }

    /// From a decoded `agent.json` (flags already applied); `file` names it in errors. TUN mode is not
    /// available yet: a config that asks for it must say `--no-tun` (port-forward mode only).
    public init(config: AgentConfig, file: String, noTun: Bool) throws(StartupError) {
        let identity = config.identity
        guard let certificate = identity.certificate, let privateKey = identity.privateKey,
              let trustRoots = identity.trustRoots else {
            throw StartupError("\(file): missing \(identity.missingKeys.joined(separator: ", ")) (set it in the file or with --cert/--key/--ca)")
        }
        guard !config.relays.isEmpty else { throw StartupError("\(file): no relays (set \"relays\" or --relay)") }
        if config.tun != nil && !noTun {
            throw StartupError("\(file): TUN mode (\"tun\") is not available in this build yet; run with --no-tun for port-forward mode")
        }
        guard !config.forwards.isEmpty else {
            throw StartupError("\(file): nothing to do: no forwards (set \"forwards\" or --forward)")
        }
        for forward in config.forwards where !config.services.contains(where: { $0.id == forward.service }) {
            throw StartupError("\(file): forward \(forward.listen) names service \"\(forward.service)\", which is not in \"services\"")
        }
        var tunnelAddress = Self.defaultTunnelAddress
        if let text = config.tun?.address?.description {
            if let v4 = IPv4Address(text) { tunnelAddress = .v4(v4) } else if let v6 = IPv6Address(text) { tunnelAddress = .v6(v6) }
        }
        self.init(relays: config.relays, certificate: certificate, privateKey: privateKey, trustRoots: trustRoots,
                  admin: config.admin, services: config.services, forwards: config.forwards,
                  tunnelAddress: tunnelAddress)
    }
}
