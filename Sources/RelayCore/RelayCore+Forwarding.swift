import ZTNAProtocol

// MARK: - Forwarding (DESIGN.md §3): the hot path

// Per datagram: one header parse (no copy), one hash of the service id, a few integer-keyed lookups, and
// exactly one allocation — the outgoing datagram, built at its final size.

extension RelayCore {
    /// `0x2F` from an agent: it must be registered for the id; the (agent, service)'s connector — chosen on
    /// the first packet, least-assigned — receives `30 peer len id payload`.
    mutating func forwardFromAgent(_ bytes: ArraySlice<UInt8>, from id: RelayConnectionID, connection: ConnectionEntry) {
        let header: RelayDatagramHeader
        do {
            header = try RelayDatagramHeader(parsing: bytes)
        } catch {
            return drop(.malformed)
        }
        guard let slot = slotByID[bytes[header.serviceID]],
              let route = connection.agentRoutes[slot],
              let peer = connection.peer
        else { return drop(.agentNotRegistered) }

        let connector: RelayConnectionID
        if let assigned = route.connector {
            connector = assigned
        } else {
            guard let chosen = services[slot.rawValue]?.leastAssigned else { return drop(.noConnector) }
            connections[id]?.agentRoutes[slot]?.connector = chosen
            services[slot.rawValue]?.adjustAssigned(chosen, by: 1)
            connector = chosen
        }
        guard transmits.count < limits.maxQueuedDatagrams else { return drop(.queueFull) }
        transmits.append(RelayTransmit(connection: connector, datagram: header.peerDatagram(from: bytes, peer: peer)))
        counters.forwardedToConnectors &+= 1
        counters.forwardedBytesToConnectors &+= UInt64(header.payload.count)
    }

    /// `0x30` from a connector: it must be registered for the id, and `peer` must be a live agent registered
    /// for the id and assigned to this very connector; the agent receives `2F len id payload`.
    mutating func forwardFromConnector(
        _ bytes: ArraySlice<UInt8>, from id: RelayConnectionID, connection: ConnectionEntry
    ) {
        let header: RelayDatagramHeader
        do {
            header = try RelayDatagramHeader(parsing: bytes)
        } catch {
            return drop(.malformed)
        }
        guard let peer = header.peer else { return drop(.malformed) }  // a 0x30 header always has one
        guard let slot = slotByID[bytes[header.serviceID]], connection.connectorSlots.contains(slot) else {
            return drop(.connectorNotRegistered)
        }
        guard let agent = agentsByPeer[peer] else { return drop(.unknownPeer) }
        guard let route = connections[agent]?.agentRoutes[slot] else { return drop(.peerNotRegistered) }
        guard route.connector == id else { return drop(.peerNotAssigned) }
        guard transmits.count < limits.maxQueuedDatagrams else { return drop(.queueFull) }
        transmits.append(RelayTransmit(connection: agent, datagram: header.serviceDatagram(from: bytes)))
        counters.forwardedToAgents &+= 1
        counters.forwardedBytesToAgents &+= UInt64(header.payload.count)
    }
}
