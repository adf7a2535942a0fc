import ZTNAIdentity
import ZTNAProtocol

// MARK: - The registry's records (internal to RelayCore)

/// A typed index into `RelayCore.services` (STYLE.md rule 5). Slots are recycled once a service has no
/// registration left, so the table never grows past the number of distinct registered services.
struct ServiceSlot: Hashable {
    let rawValue: Int
}

/// Everyone registered for one service.
struct ServiceEntry {
    /// A connector of the service and how many agents are currently assigned to it.
    struct Connector {
        let connection: RelayConnectionID
        var assignedAgents: Int
    }

    let id: ServiceID
    /// In registration order; ties in `leastAssigned` go to the earliest.
    var connectors: [Connector] = []
    /// Agent connections registered for the service.
    var agents: Set<RelayConnectionID> = []

    var isEmpty: Bool { connectors.isEmpty && agents.isEmpty }

    /// The connector to give a new agent: the one with the fewest agents (spreads load, DESIGN.md §3).
    var leastAssigned: RelayConnectionID? {
        connectors.min { $0.assignedAgents < $1.assignedAgents }?.connection
    }

    func connectorIndex(_ connection: RelayConnectionID) -> Int? {
        connectors.firstIndex { $0.connection == connection }
    }

    mutating func adjustAssigned(_ connection: RelayConnectionID, by delta: Int) {
        guard let index = connectorIndex(connection) else { return }
        connectors[index].assignedAgents += delta
    }
}

/// One live relay connection.
struct ConnectionEntry {
    /// An agent registration: which connector serves this (agent, service); nil until the first `0x2F`, and
    /// again after that connector left (the next `0x2F` picks another).
    struct AgentRoute {
        var connector: RelayConnectionID?
    }

    let grants: Grants
    let name: String
    var address: ObservedAddress?
    /// Assigned when the connection first registers as an agent; kept for the connection's life.
    var peer: PeerID?
    var agentRoutes: [ServiceSlot: AgentRoute] = [:]
    var connectorSlots: Set<ServiceSlot> = []

    var registrationCount: Int { agentRoutes.count + connectorSlots.count }
}
