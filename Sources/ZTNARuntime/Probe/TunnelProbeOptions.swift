public import IPPacket
public import ZTNAConfig
public import ZTNAProtocol

/// What a `ztna probe` run sends and checks (the flags of DESIGN.md §1's `ztna probe`, typed).
///
/// Packets are IPv4/IPv6 UDP from `tunnelAddress:sourcePort` to `virtualIP:port`, each payload an 8-byte
/// sequence number and `pattern` bytes (`ProbePayload`). Sequence numbers: `0..<count` paced by `interval`,
/// `count..<count+burst` back to back, and `count+burst` (`queryMaxSize`) for the packet of the largest size
/// that fits (sent between the paced packets and the burst), `count+burst+1` for the one a byte larger.
public struct TunnelProbeOptions: Sendable, Hashable {
    public var service: ServiceID
    /// The service's virtual IP: the destination of every probe packet.
    public var virtualIP: IPAddress
    /// The agent's address inside the tunnel: the source of every probe packet.
    public var tunnelAddress: IPAddress
    /// The service port (UDP) the connector offers.
    public var port: UInt16 = 7
    /// The probe's UDP source port: one per run, so its replies are told apart from any other flow's.
    public var sourcePort: UInt16 = TunnelProbeOptions.randomSourcePort()
    /// UDP payload bytes per packet (≥ 8: the sequence number).
    public var size = 64
    public var count = 10
    public var interval: Duration = .milliseconds(100)
    public var pattern: ProbePattern = .sequence
    /// Seed of `.random` payloads.
    public var seed: UInt64 = .random(in: .min ... .max)
    /// Every reply must equal what was sent for its sequence number; missing, duplicated and corrupted ones fail.
    public var verifyEcho = false
    public var measureRTT = false
    public var measureHandshake = false
    /// Packets sent back to back after the paced ones.
    public var burst = 0
    public var queryMaxSize = false
    /// How long to wait for replies after the last send, and the bound on opening the tunnel.
    public var timeout: Duration = .seconds(5)

    /// Packets per run at most (paced + burst): bounds the probe's memory (one small record per packet).
    public static let maximumPackets = 1_000_000

    public init(service: ServiceID, virtualIP: IPAddress, tunnelAddress: IPAddress) {
        self.service = service
        self.virtualIP = virtualIP
        self.tunnelAddress = tunnelAddress
    }

    /// A port of the dynamic range (RFC 6335 §6: 49152–65535).
    public static func randomSourcePort() -> UInt16 { .random(in: 49_152 ... 65_535) }

    // MARK: - Derived

    /// Source and destination of the probe packets (nil when their families differ).
    public var addresses: IPAddressPair? { IPAddressPair(source: tunnelAddress, destination: virtualIP) }

    /// Bytes in front of the UDP payload in a tunnel DATAGRAM: IPv4 20 or IPv6 40, plus UDP 8.
    public var headerOverhead: Int {
        switch virtualIP {
        case .v4: IPv4Header.minimumLength + UDPHeader.length
        case .v6: IPv6Header.length + UDPHeader.length
        }
    }

    /// The largest UDP payload an IP packet of this family can hold (IPv4 total length and IPv6 payload
    /// length are 16-bit fields, RFC 791 / RFC 8200 §3).
    public var largestUDPPayload: Int {
        switch virtualIP {
        case .v4: IPPacketBuilder.maximumPacketLength - IPv4Header.minimumLength - UDPHeader.length
        case .v6: IPPacketBuilder.maximumPacketLength - UDPHeader.length
        }
    }

    /// Sequence number of the `--query-max-size` packet of exactly the largest size that fits.
    public var maximumSizeSequence: UInt64 { UInt64(count + burst) }

    /// Sequence numbers the run may use: paced, burst, and the two `--query-max-size` packets.
    public var capacity: Int { count + burst + 2 }

    // MARK: - Validation

    /// Checks every value; the error names the flag and what to use instead.
    public func validate() throws(TunnelProbeError) {
        guard addresses != nil else {
            throw TunnelProbeError(.invalidOption, "the virtual IP \(virtualIP) and the tunnel address \(tunnelAddress) are of different IP versions (set --vip or tun.address)")
        }
        guard port != 0 else { throw TunnelProbeError(.invalidOption, "--port: 0 is not a service port (1–65535)") }
        guard sourcePort != 0 else { throw TunnelProbeError(.invalidOption, "the source port must not be 0") }
        guard size >= ProbePayload.headerLength else {
            throw TunnelProbeError(.invalidOption, "--size \(size): at least \(ProbePayload.headerLength) bytes (each payload starts with an 8-byte sequence number)")
        }
        guard size <= largestUDPPayload else {
            throw TunnelProbeError(.invalidOption, "--size \(size): an IP packet holds at most \(largestUDPPayload) bytes of UDP payload")
        }
        guard count >= 0 else { throw TunnelProbeError(.invalidOption, "--count \(count): must be 0 or more") }
        guard burst >= 0 else { throw TunnelProbeError(.invalidOption, "--burst \(burst): must be 0 or more") }
        guard count <= Self.maximumPackets, burst <= Self.maximumPackets - count else {
            throw TunnelProbeError(.invalidOption, "--count plus --burst: at most \(Self.maximumPackets) packets per run")
        }
        guard count + burst > 0 || queryMaxSize else {
            throw TunnelProbeError(.invalidOption, "nothing to send: --count and --burst are 0 and --query-max-size is not set")
        }
        guard interval >= .zero else { throw TunnelProbeError(.invalidOption, "--interval: must not be negative") }
        guard timeout > .zero else { throw TunnelProbeError(.invalidOption, "--timeout: must be more than 0") }
    }

    // MARK: - From agent.json

    /// The probe's addresses for `service` under `config` (DESIGN.md §5): the virtual IP is `virtualIP` when
    /// given (`--vip`), else the service's entry in `"services"`, else the default pool address the agent would
    /// assign (after the services its forwards name); the source is `tun.address` when set, else the default
    /// tunnel address of the virtual IP's family (10.100.0.254, or fd00::fffe for IPv6).
    public static func addresses(for service: ServiceID, config: AgentConfig, virtualIP override: IPAddressLiteral?)
        throws(TunnelProbeError) -> (virtualIP: IPAddress, tunnelAddress: IPAddress) {
        let literal: IPAddressLiteral
        if let override {
            literal = override
        } else if let entry = config.services.first(where: { $0.id == service }) {
            literal = entry.virtualIP
        } else {
            let forwards = config.forwards + [ForwardConfig(listen: HostPort(host: "127.0.0.1", port: 0), service: service,
                                                            port: 7, protocol: .udp)]
            let completed = AgentService.completing(config.services, forwards: forwards)
            guard let entry = completed.first(where: { $0.id == service }) else {
                throw TunnelProbeError(.invalidOption, "no free address in the default pool \(AgentService.defaultPoolPrefix)0/24 for \(service): set --vip")
            }
            literal = entry.virtualIP
        }
        let virtualIP = PortForwarder.address(of: literal)
        let tunnelAddress = config.tun?.address.map { PortForwarder.address(of: $0) }
            ?? PortForwarder.defaultTunnelAddress(for: virtualIP)
        return (virtualIP, tunnelAddress)
    }
}
