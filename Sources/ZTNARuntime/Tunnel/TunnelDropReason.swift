/// Why a tunnel endpoint dropped a packet or refused a stream without a status (DESIGN.md §4: "other ICMP and
/// other protocols are dropped and counted"). `label` is stable: it is a metrics label
/// (`ztna_tunnel_dropped_total{reason="port_not_offered"}`), so cases may be added but never renamed.
public enum TunnelDropReason: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    // MARK: - Tunnel DATAGRAMs (connector) and replies (agent)

    /// Not a valid IPv4/IPv6 packet: truncated, bad version, bad header or length, bad checksum, unsupported
    /// extension header (`IPPacket(parsing:)` refused it).
    case malformed
    /// An IPv4 fragment or an IPv6 Fragment header: the tunnel never fragments, so nothing reassembles.
    case fragment
    /// A protocol the DATAGRAM path does not carry (TCP rides on streams; anything but UDP and ICMP echo).
    case unsupportedProtocol
    /// UDP to a port the service does not offer as `udp`.
    case portNotOffered
    /// ICMP echo request to a service whose `icmp` is false.
    case icmpDisabled
    /// ICMP other than an echo request (errors, replies, router messages, …).
    case icmpNotEcho
    /// A new UDP flow above `TunnelLimits.maxFlowsPerTunnel`.
    case flowLimit
    /// A packet larger than the tunnel can carry now (`maxDatagramPayload`) or than an IP packet can be.
    case oversize
    /// A flow's queue towards its socket is full (the socket is not ready yet, or slower than the sender).
    case queueFull
    /// The UDP backend's name did not resolve or its socket could not be opened.
    case backendUnreachable
    /// A packet for a UDP flow that is ending or gone (expired, closed, or its backend never opened).
    case noFlow

    // MARK: - Streams and tunnels

    /// A stream whose first bytes are not a valid `TCP_CONNECT` request; it is reset.
    case malformedRequest
    /// Agent: no tunnel connection could be had for the service (the opener failed, or it closed).
    case noTunnel
    /// Agent: the peer's stream limit (MAX_STREAMS, RFC 9000 §4.6) is exhausted; the local socket is reset.
    case streamLimit

    // MARK: - The agent's TUN (cases added after the first release keep their raw values last)

    /// A packet the kernel routed to the TUN for an address that is no service's virtual IP.
    case unknownDestination
    /// A packet from a tunnel that is not from that service's virtual IP to the agent's tunnel address: a
    /// connector may answer only for the service it serves, so it is never written to the TUN.
    case unexpectedSource
    /// The kernel's TUN queue was full when a packet was written to it.
    case tunQueueFull
    /// A packet waiting for its service's tunnel to open was pushed out by newer ones, or the tunnel never came.
    case tunnelPending

    /// The metrics label.
    public var label: String {
        switch self {
        case .malformed: "malformed"
        case .fragment: "fragment"
        case .unsupportedProtocol: "unsupported_protocol"
        case .portNotOffered: "port_not_offered"
        case .icmpDisabled: "icmp_disabled"
        case .icmpNotEcho: "icmp_not_echo"
        case .flowLimit: "flow_limit"
        case .oversize: "oversize"
        case .queueFull: "queue_full"
        case .backendUnreachable: "backend_unreachable"
        case .noFlow: "no_flow"
        case .malformedRequest: "malformed_request"
        case .noTunnel: "no_tunnel"
        case .streamLimit: "stream_limit"
        case .unknownDestination: "unknown_destination"
        case .unexpectedSource: "unexpected_source"
        case .tunQueueFull: "tun_queue_full"
        case .tunnelPending: "tunnel_pending"
        }
    }

    public var description: String { label }
}
