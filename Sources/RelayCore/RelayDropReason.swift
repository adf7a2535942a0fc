/// Why the relay dropped a datagram from a client (DESIGN.md §3: "the relay never forwards a packet whose
/// route it cannot prove", and counts every drop by reason). `label` is stable: it is a metrics label.
public enum RelayDropReason: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A zero-length datagram.
    case empty
    /// A type byte §3 does not define.
    case unknownType
    /// A relay → client type (OBSERVED_ADDRESS, REGISTER_ACK, REGISTER_NACK, SERVICE_STATUS) sent by a client.
    case wrongDirection
    /// A `0x2F`/`0x30` whose header is truncated or whose id is invalid.
    case malformed
    /// Larger than `RelayLimits.maxDatagramSize`.
    case oversize
    /// From a connection the core does not know (not established, or already closed).
    case unknownConnection
    /// `0x2F` from a connection not registered as an agent for that service (includes connectors).
    case agentNotRegistered
    /// `0x2F` from a registered agent while no connector serves the service.
    case noConnector
    /// `0x30` from a connection not registered as a connector for that service (includes agents).
    case connectorNotRegistered
    /// `0x30` naming a peer id that is no live agent connection.
    case unknownPeer
    /// `0x30` naming a live agent that is not registered for that service.
    case peerNotRegistered
    /// `0x30` naming an agent of that service that is assigned to another connector (or to none yet).
    case peerNotAssigned
    /// The forwarding queue is full (`RelayLimits.maxQueuedDatagrams`).
    case queueFull

    /// The metrics label, e.g. `relay_dropped_datagrams_total{reason="peer_not_assigned"}`.
    public var label: String {
        switch self {
        case .empty: "empty"
        case .unknownType: "unknown_type"
        case .wrongDirection: "wrong_direction"
        case .malformed: "malformed"
        case .oversize: "oversize"
        case .unknownConnection: "unknown_connection"
        case .agentNotRegistered: "agent_not_registered"
        case .noConnector: "no_connector"
        case .connectorNotRegistered: "connector_not_registered"
        case .unknownPeer: "unknown_peer"
        case .peerNotRegistered: "peer_not_registered"
        case .peerNotAssigned: "peer_not_assigned"
        case .queueFull: "queue_full"
        }
    }

    public var description: String { label }
}
