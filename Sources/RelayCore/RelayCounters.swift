public import ZTNAProtocol

/// The relay's counters and gauges (DESIGN.md §8 metrics). A plain value: reading it copies a few words
/// and shares one small array, so a metrics scrape costs nothing on the forwarding path.
public struct RelayCounters: Sendable, Hashable {
    // MARK: - Registration

    /// REGISTER accepted as agent (new registrations; repeats are counted in `registrationsRepeated`).
    public internal(set) var agentRegistrations: UInt64 = 0
    /// REGISTER accepted as connector (new registrations).
    public internal(set) var connectorRegistrations: UInt64 = 0
    /// REGISTER for a registration that already existed (client retry), ACKed again.
    public internal(set) var registrationsRepeated: UInt64 = 0
    /// DEREGISTER answered with REGISTER_ACK.
    public internal(set) var deregistrations: UInt64 = 0
    /// REGISTER (or malformed DEREGISTER) answered with REGISTER_NACK, by reason.
    public internal(set) var rejectedMalformed: UInt64 = 0
    public internal(set) var rejectedNotAuthorized: UInt64 = 0
    public internal(set) var rejectedLimitReached: UInt64 = 0

    /// REGISTER_NACKs sent with `reason`.
    public func rejections(_ reason: RegisterNackReason) -> UInt64 {
        switch reason {
        case .malformed: rejectedMalformed
        case .notAuthorized: rejectedNotAuthorized
        case .limitReached: rejectedLimitReached
        }
    }

    // MARK: - Forwarding

    /// `0x2F` from agents forwarded to connectors as `0x30`, and their payload (tunnel packet) bytes.
    public internal(set) var forwardedToConnectors: UInt64 = 0
    public internal(set) var forwardedBytesToConnectors: UInt64 = 0
    /// `0x30` from connectors forwarded to agents as `0x2F`, and their payload bytes.
    public internal(set) var forwardedToAgents: UInt64 = 0
    public internal(set) var forwardedBytesToAgents: UInt64 = 0

    /// Dropped datagrams, indexed by `RelayDropReason.rawValue`.
    var dropCounts = [UInt64](repeating: 0, count: RelayDropReason.allCases.count)

    /// Datagrams dropped for `reason`.
    public func drops(_ reason: RelayDropReason) -> UInt64 { dropCounts[reason.rawValue] }

    /// All dropped datagrams.
    public var totalDrops: UInt64 { dropCounts.reduce(0, &+) }

    /// OBSERVED_ADDRESS, REGISTER_ACK, REGISTER_NACK and SERVICE_STATUS messages queued.
    public internal(set) var controlMessagesSent: UInt64 = 0

    // MARK: - Gauges

    /// Live connections.
    public internal(set) var connections: Int = 0
    /// Live connections holding at least one agent registration.
    public internal(set) var agentConnections: Int = 0
    /// Live connections holding at least one connector registration.
    public internal(set) var connectorConnections: Int = 0
    /// Distinct services with at least one registration.
    public internal(set) var services: Int = 0

    mutating func drop(_ reason: RelayDropReason) {
        dropCounts[reason.rawValue] &+= 1
    }
}
