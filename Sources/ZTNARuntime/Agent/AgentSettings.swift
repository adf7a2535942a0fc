public import IPPacket
public import ZTNAConfig
import ZTNAProtocol

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
    /// TUN mode (Linux, root): the interface to create; nil runs port-forward mode only.
    public var tun: Tun?
    /// Revoked certificate serials (connectors refused, and their tunnels closed on `reload()`); nil: none.
    public var revocationList: String?
    /// Direct paths (NAT traversal) for the agent's tunnels; false keeps them relayed (DESIGN.md §6).
    public var direct = true

    /// The split-tunnel interface (DESIGN.md §4, §5): its name, MTU, and the agent's tunnel address on it.
    public struct Tun: Sendable, Hashable {
        public var name: String
        public var mtu: Int

        public init(name: String = TunConfig.defaultName, mtu: Int = TunConfig.defaultMTU) {
            self.name = name
            self.mtu = mtu
        }
    }

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

    /// From a decoded `agent.json` (flags already applied); `file` names it in errors. `noTun` ignores the
    /// `tun` key (port-forward mode only, no root needed).
    public init(config: AgentConfig, file: String, noTun: Bool) throws(StartupError) {
        let identity = config.identity
        guard let certificate = identity.certificate, let privateKey = identity.privateKey,
              let trustRoots = identity.trustRoots else {
            throw StartupError("\(file): missing \(identity.missingKeys.joined(separator: ", ")) (set it in the file or with --cert/--key/--ca)")
        }
        guard !config.relays.isEmpty else { throw StartupError("\(file): no relays (set \"relays\" or --relay)") }
        let tun = noTun ? nil : config.tun
        guard tun != nil || !config.forwards.isEmpty else {
            throw StartupError("\(file): nothing to do: no \"tun\" and no forwards (set \"tun\", \"forwards\" or --forward)")
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
        revocationList = config.revocationList
        direct = config.direct
        if let tun {
            try Self.checkVirtualIPs(config.services, tunnelAddress: tunnelAddress, file: file)
            self.tun = Tun(name: tun.name, mtu: tun.mtu)
        }
    }

    /// In TUN mode every virtual IP becomes a route: each must be distinct, of the tunnel address's family, and
    /// not the tunnel address itself.
    static func checkVirtualIPs(_ services: [AgentService], tunnelAddress: IPAddress, file: String) throws(StartupError) {
        guard !services.isEmpty else { throw StartupError("\(file): TUN mode needs \"services\" with virtual IPs") }
        var seen: [String: ServiceID] = [:]
        for service in services {
            let address = PortForwarder.address(of: service.virtualIP)
            if let other = seen[address.description] {
                throw StartupError("\(file): services \"\(other)\" and \"\(service.id)\" have the same virtualIP \(address)")
            }
            seen[address.description] = service.id
            guard address != tunnelAddress else {
                throw StartupError("\(file): service \"\(service.id)\": virtualIP \(address) is the tunnel address (tun.address)")
            }
            switch (address, tunnelAddress) {
            case (.v4, .v4), (.v6, .v6): break
            default:
                throw StartupError("\(file): service \"\(service.id)\": virtualIP \(address) and tun.address \(tunnelAddress) are not of the same IP version")
            }
        }
    }
}
