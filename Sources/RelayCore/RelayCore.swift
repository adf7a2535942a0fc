public import ZTNAIdentity
public import ZTNAProtocol
internal import DequeModule

/// The relay (DESIGN.md §3), sans-IO: a registry of who serves and who consumes which service, and the
/// forwarding of opaque tunnel packets between them under rules that make every forwarded packet's route
/// provable. No sockets, clocks or tasks: the shell feeds events in and pulls datagrams out.
///
/// - Inputs: `connectionEstablished` (after the mTLS handshake; grants from the verified certificate),
///   `connectionAddressChanged` (NAT rebinding), `connectionClosed`, `handleDatagram` (one QUIC DATAGRAM).
/// - Output: `pollTransmit()` until nil after every input; send each as a DATAGRAM on its connection.
/// - Getters: `counters` (cheap), `snapshot` (for the status API; allocates, not for the hot path).
///
/// Decisions where §3 leaves room:
/// - One connection may hold agent registrations for some services and connector registrations for others
///   (each only if granted); roles are per service, and the message type says which role a datagram uses
///   (`0x2F` as agent, `0x30` as connector).
/// - A connector is chosen for an (agent, service) at the agent's first `0x2F`: the connector with the fewest
///   assigned agents, earliest registered on a tie. The choice sticks until that connector deregisters or
///   disconnects; then the agent's next `0x2F` picks again among those left.
/// - Peer ids are drawn from the seeded generator, never 0, unique among live connections.
/// - DEREGISTER removes whatever this connection registered for the id (agent, connector, or both) and is
///   ACKed even when nothing was registered (idempotent, like REGISTER).
/// - Queued datagrams for a connection that closes are discarded.
public struct RelayCore {
    public let limits: RelayLimits
    public internal(set) var counters = RelayCounters()

    var connections: [RelayConnectionID: ConnectionEntry] = [:]
    var services: [ServiceEntry?] = []
    var freeSlots: [ServiceSlot] = []
    /// Service id bytes → slot. Keys are slices of the registered `ServiceID`s' arrays, so a lookup with a
    /// slice of an incoming datagram neither allocates nor copies (one hash of the id per datagram).
    var slotByID: [ArraySlice<UInt8>: ServiceSlot] = [:]
    var agentsByPeer: [PeerID: RelayConnectionID] = [:]
    var transmits: Deque<RelayTransmit> = []
    var generator: SplitMix64

    public init(limits: RelayLimits = .init(), randomSeed: UInt64) {
        self.limits = limits
        self.generator = SplitMix64(seed: randomSeed)
    }

    // MARK: - Connections

    /// A client completed its mTLS handshake. `grants` come from its chain-verified certificate, `name` is its
    /// node name, `address` its source address as seen here (OBSERVED_ADDRESS is sent at once if known).
    @discardableResult
    public mutating func connectionEstablished(
        _ id: RelayConnectionID, grants: Grants, name: String, address: ObservedAddress?
    ) -> RelayAdmission {
        guard connections[id] == nil else { return .duplicateID }
        guard connections.count < limits.maxConnections else { return .tooManyConnections }
        connections[id] = ConnectionEntry(grants: grants, name: name, address: address)
        counters.connections += 1
        if let address { sendControl(.observedAddress(address), to: id) }
        return .accepted
    }

    /// The client's source address changed (NAT rebinding, migration): tell it, unless nothing changed.
    public mutating func connectionAddressChanged(_ id: RelayConnectionID, to address: ObservedAddress) {
        guard connections[id] != nil, connections[id]?.address != address else { return }
        connections[id]?.address = address
        sendControl(.observedAddress(address), to: id)
    }

    /// The connection is gone: its registrations go, its agents' connectors are released, the agents of
    /// services it served move to other connectors (or learn that none is left), its queued datagrams go.
    public mutating func connectionClosed(_ id: RelayConnectionID) {
        guard let connection = connections[id] else { return }
        for slot in connection.agentRoutes.keys { removeAgentRegistration(id, slot: slot) }
        for slot in connection.connectorSlots { removeConnectorRegistration(id, slot: slot) }
        if let peer = connection.peer { agentsByPeer[peer] = nil }
        connections[id] = nil
        counters.connections -= 1
        if transmits.contains(where: { $0.connection == id }) {
            transmits.removeAll { $0.connection == id }
        }
    }

    // MARK: - Datagrams

    /// One QUIC DATAGRAM from a client: a relay message. Never traps; anything not provably routable is
    /// dropped and counted by reason.
    public mutating func handleDatagram(_ bytes: ArraySlice<UInt8>, from id: RelayConnectionID) {
        guard bytes.count <= limits.maxDatagramSize else { return drop(.oversize) }
        guard let type = bytes.first else { return drop(.empty) }
        guard let kind = RelayMessage.Kind(rawValue: type) else { return drop(.unknownType) }
        guard kind.isSentByClients else { return drop(.wrongDirection) }
        guard let connection = connections[id] else { return drop(.unknownConnection) }
        switch kind {
        case .serviceDatagram:
            forwardFromAgent(bytes, from: id, connection: connection)
        case .peerDatagram:
            forwardFromConnector(bytes, from: id, connection: connection)
        case .registerAgent:
            register(bytes, as: .agent, from: id)
        case .registerConnector:
            register(bytes, as: .connector, from: id)
        case .deregister:
            deregister(bytes, from: id)
        case .observedAddress, .registerAck, .registerNack, .serviceStatus:
            drop(.wrongDirection)  // excluded by isSentByClients; kept for exhaustiveness
        }
    }

    /// One QUIC DATAGRAM from a client.
    public mutating func handleDatagram(_ bytes: [UInt8], from id: RelayConnectionID) {
        handleDatagram(bytes[...], from: id)
    }

    // MARK: - Output

    /// The next datagram to send.
    public mutating func pollTransmit() -> RelayTransmit? {
        transmits.popFirst()
    }

    // MARK: - Status

    /// Every live connection, sorted by id (allocates: for the status API, not per packet).
    public var snapshot: [RelayConnectionStatus] {
        connections.sorted { $0.key < $1.key }.map { id, entry in
            var assignments: [ServiceID: RelayConnectionID] = [:]
            for (slot, route) in entry.agentRoutes {
                if let connector = route.connector, let service = services[slot.rawValue] {
                    assignments[service.id] = connector
                }
            }
            return RelayConnectionStatus(
                id: id, name: entry.name, address: entry.address, peer: entry.peer,
                agentServices: entry.agentRoutes.keys.compactMap { services[$0.rawValue]?.id }.sorted(),
                connectorServices: entry.connectorSlots.compactMap { services[$0.rawValue]?.id }.sorted(),
                assignments: assignments)
        }
    }

    /// Whether `connection` is registered for `service` in `role` (agent or connector).
    public func isRegistered(_ connection: RelayConnectionID, as role: Role, for service: ServiceID) -> Bool {
        guard let slot = slotByID[service.bytes[...]], let entry = connections[connection] else { return false }
        switch role {
        case .agent: return entry.agentRoutes[slot] != nil
        case .connector: return entry.connectorSlots.contains(slot)
        case .relay: return false
        }
    }

    // MARK: - Internals shared by the extensions

    mutating func drop(_ reason: RelayDropReason) {
        counters.drop(reason)
    }

    mutating func sendControl(_ message: RelayMessage, to id: RelayConnectionID) {
        transmits.append(RelayTransmit(connection: id, datagram: message.bytes))
        counters.controlMessagesSent += 1
    }
}
