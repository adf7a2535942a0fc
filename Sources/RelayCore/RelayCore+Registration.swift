import ZTNAIdentity
import ZTNAProtocol

// MARK: - Registration (DESIGN.md §3: REGISTER, DEREGISTER, SERVICE_STATUS, authorization, limits)

extension RelayCore {
    /// REGISTER as `role`: malformed → NACK 01 (id echoed as received); no grant for role + service (nor `*`)
    /// → NACK 02; over a limit → NACK 03; else ACK (again for a repeat: clients retry until answered), and
    /// for an agent SERVICE_STATUS right after the ACK.
    mutating func register(_ bytes: ArraySlice<UInt8>, as role: Role, from id: RelayConnectionID) {
        let service: ServiceID
        switch try? RelayMessage(parsing: bytes) {
        case .registerAgent(let parsed)? where role == .agent: service = parsed
        case .registerConnector(let parsed)? where role == .connector: service = parsed
        default: return nack(.malformed, id: Self.echoedID(bytes), to: id)
        }
        guard let connection = connections[id] else { return }
        guard connection.grants.may(role, service) else { return nack(.notAuthorized, id: service.bytes, to: id) }

        let existing = slotByID[service.bytes[...]]
        if let slot = existing {
            let registered = role == .agent ? connection.agentRoutes[slot] != nil : connection.connectorSlots.contains(slot)
            if registered {
                counters.registrationsRepeated += 1
                acknowledge(service, to: id)
                if role == .agent { sendStatus(slot: slot, to: id) }
                return
            }
        }
        guard connection.registrationCount < limits.registrationsPerConnection,
              role != .agent || connection.agentRoutes.count < limits.servicesPerAgent
        else { return nack(.limitReached, id: service.bytes, to: id) }

        let slot = existing ?? allocateSlot(for: service)
        switch role {
        case .agent:
            if connection.peer == nil {
                let peer = newPeerID()
                connections[id]?.peer = peer
                agentsByPeer[peer] = id
            }
            if connection.agentRoutes.isEmpty { counters.agentConnections += 1 }
            connections[id]?.agentRoutes[slot] = ConnectionEntry.AgentRoute(connector: nil)
            services[slot.rawValue]?.agents.insert(id)
            counters.agentRegistrations += 1
            acknowledge(service, to: id)
            sendStatus(slot: slot, to: id)
        case .connector:
            if connection.connectorSlots.isEmpty { counters.connectorConnections += 1 }
            connections[id]?.connectorSlots.insert(slot)
            services[slot.rawValue]?.connectors.append(ServiceEntry.Connector(connection: id, assignedAgents: 0))
            counters.connectorRegistrations += 1
            acknowledge(service, to: id)
            if services[slot.rawValue]?.connectors.count == 1 { broadcastStatus(slot: slot) }
        case .relay:
            return  // unreachable: relays are granted nothing, so `may` refused above
        }
    }

    /// REGISTER_ACK, preceded by OBSERVED_ADDRESS when the address is known. The first OBSERVED_ADDRESS, sent at
    /// the handshake, is a DATAGRAM: it may be lost, or reach the client before it listens. The client retries
    /// REGISTER until it sees the ACK, and the two go out in one flight, so a registered client has its
    /// server-reflexive address (the candidate direct paths need, DESIGN.md §6).
    private mutating func acknowledge(_ service: ServiceID, to id: RelayConnectionID) {
        if let address = connections[id]?.address { sendControl(.observedAddress(address), to: id) }
        sendControl(.registerAck(service), to: id)
    }

    /// DEREGISTER: whatever this connection registered for the id goes; answered with REGISTER_ACK even if
    /// nothing was registered. Malformed → NACK 01.
    mutating func deregister(_ bytes: ArraySlice<UInt8>, from id: RelayConnectionID) {
        guard case .deregister(let service)? = try? RelayMessage(parsing: bytes) else {
            return nack(.malformed, id: Self.echoedID(bytes), to: id)
        }
        if let slot = slotByID[service.bytes[...]] {
            removeAgentRegistration(id, slot: slot)
            removeConnectorRegistration(id, slot: slot)
        }
        counters.deregistrations += 1
        sendControl(.registerAck(service), to: id)
    }

    // MARK: - Removal

    /// Drops an agent registration and its connector assignment.
    mutating func removeAgentRegistration(_ id: RelayConnectionID, slot: ServiceSlot) {
        guard let route = connections[id]?.agentRoutes.removeValue(forKey: slot) else { return }
        if connections[id]?.agentRoutes.isEmpty == true { counters.agentConnections -= 1 }
        services[slot.rawValue]?.agents.remove(id)
        if let connector = route.connector { services[slot.rawValue]?.adjustAssigned(connector, by: -1) }
        releaseSlotIfEmpty(slot)
    }

    /// Drops a connector registration: its agents lose their assignment (the next `0x2F` picks another
    /// connector); if it was the last connector, every agent of the service gets SERVICE_STATUS 00.
    mutating func removeConnectorRegistration(_ id: RelayConnectionID, slot: ServiceSlot) {
        guard connections[id]?.connectorSlots.remove(slot) != nil else { return }
        if connections[id]?.connectorSlots.isEmpty == true { counters.connectorConnections -= 1 }
        if let index = services[slot.rawValue]?.connectorIndex(id) {
            services[slot.rawValue]?.connectors.remove(at: index)
        }
        guard let service = services[slot.rawValue] else { return }
        for agent in service.agents where connections[agent]?.agentRoutes[slot]?.connector == id {
            connections[agent]?.agentRoutes[slot]?.connector = nil
        }
        if service.connectors.isEmpty { broadcastStatus(slot: slot) }
        releaseSlotIfEmpty(slot)
    }

    // MARK: - Service slots

    mutating func allocateSlot(for service: ServiceID) -> ServiceSlot {
        let slot: ServiceSlot
        if let free = freeSlots.popLast() {
            slot = free
            services[slot.rawValue] = ServiceEntry(id: service)
        } else {
            slot = ServiceSlot(rawValue: services.count)
            services.append(ServiceEntry(id: service))
        }
        slotByID[service.bytes[...]] = slot
        counters.services += 1
        return slot
    }

    mutating func releaseSlotIfEmpty(_ slot: ServiceSlot) {
        guard let service = services[slot.rawValue], service.isEmpty else { return }
        slotByID[service.id.bytes[...]] = nil
        services[slot.rawValue] = nil
        freeSlots.append(slot)
        counters.services -= 1
    }

    // MARK: - Messages

    /// SERVICE_STATUS for one agent: whether any connector serves the service now.
    mutating func sendStatus(slot: ServiceSlot, to agent: RelayConnectionID) {
        guard let service = services[slot.rawValue] else { return }
        sendControl(.serviceStatus(available: !service.connectors.isEmpty, service.id), to: agent)
    }

    /// SERVICE_STATUS to every agent of the service (availability just changed).
    mutating func broadcastStatus(slot: ServiceSlot) {
        guard let service = services[slot.rawValue] else { return }
        let available = !service.connectors.isEmpty
        for agent in service.agents.sorted() {
            sendControl(.serviceStatus(available: available, service.id), to: agent)
        }
    }

    mutating func nack(_ reason: RegisterNackReason, id: [UInt8], to connection: RelayConnectionID) {
        switch reason {
        case .malformed: counters.rejectedMalformed += 1
        case .notAuthorized: counters.rejectedNotAuthorized += 1
        case .limitReached: counters.rejectedLimitReached += 1
        }
        sendControl(.registerNack(reason: reason, id: id), to: connection)
    }

    /// The id of a malformed REGISTER/DEREGISTER "as received" (DESIGN.md §3): the bytes after the length
    /// byte, as many as the length declares and are present; empty when there is no length byte.
    static func echoedID(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        let lengthIndex = bytes.startIndex + 1
        guard lengthIndex < bytes.endIndex else { return [] }
        let start = lengthIndex + 1
        let end = min(start + Int(bytes[lengthIndex]), bytes.endIndex)
        return Array(bytes[start..<end])
    }

    /// A random peer id, never 0, unique among live connections.
    mutating func newPeerID() -> PeerID {
        while true {
            let candidate = PeerID(rawValue: generator.next())
            if candidate.rawValue != 0, agentsByPeer[candidate] == nil { return candidate }
        }
    }
}
