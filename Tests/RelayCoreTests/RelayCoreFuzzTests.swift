import Testing
import ZTNAIdentity
import ZTNAProtocol
@testable import RelayCore

/// Random and mutated datagrams from every kind of client never trap, and every datagram the relay does
/// forward follows a route the registry can prove (DESIGN.md §3).
@Suite struct RelayCoreFuzzTests {
    @Test func randomInputNeverTrapsAndEveryForwardIsProvable() throws {
        var relay = RelayHarness(seed: 3)
        var generator = SplitMix64(seed: 0xF00D)
        let names = ["web", "db", "a", "x-1"]
        var clients: [RelayConnectionID] = []
        for index in 0..<12 {
            let granted = Array(names.prefix(1 + index % names.count))
            clients.append(relay.connect("n\(index)", agent: index % 3 == 0 ? ["*"] : granted,
                                         connector: index % 2 == 0 ? granted : []))
        }
        var peers: [PeerID] = [PeerID(rawValue: 1)]
        func pick<T>(_ items: [T]) -> T { items[Int(generator.next() % UInt64(items.count))] }

        // Routes the relay recently proved (connector, peer, service): replies along them should pass.
        var routes: [(RelayConnectionID, PeerID, ServiceID)] = []
        for round in 0..<30_000 {
            var client = pick(clients)
            var service = ServiceID(pick(names))!
            let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: round), count: Int(generator.next() % 20))
            var bytes: [UInt8]
            switch generator.next() % 6 {
            case 0: bytes = RelayMessage.registerAgent(service).bytes
            case 1: bytes = RelayMessage.registerConnector(service).bytes
            case 2: bytes = RelayMessage.deregister(service).bytes
            case 3: bytes = RelayMessage.serviceDatagram(service, payload: payload[...]).bytes
            case 4:
                var peer = pick(peers)
                if !routes.isEmpty, generator.next() % 2 == 0 { (client, peer, service) = pick(routes) }
                bytes = RelayMessage.peerDatagram(peer: peer, service, payload: payload[...]).bytes
            default: bytes = (0..<Int(generator.next() % 24)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            }
            if generator.next() % 4 == 0, !bytes.isEmpty {  // mutate a quarter of them
                bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            }
            if generator.next() % 500 == 0 {  // churn: a client reconnects
                relay.core.connectionClosed(client)
                _ = relay.core.connectionEstablished(client, grants: Grants(agent: .all), name: "re", address: nil)
            }
            relay.core.handleDatagram(bytes, from: client)
            while let transmit = relay.core.pollTransmit() {
                let message = try #require(transmit.message)
                switch message {
                case .peerDatagram(let peer, let id, _):
                    // To a connector of `id`, for an agent of `id` that is assigned to it.
                    #expect(relay.core.isRegistered(transmit.connection, as: .connector, for: id))
                    let agent = try #require(relay.core.agentsByPeer[peer])
                    #expect(relay.core.snapshot.first { $0.id == agent }?.assignments[id] == transmit.connection)
                    routes.append((transmit.connection, peer, id))
                    if routes.count > 16 { routes.removeFirst() }
                case .serviceDatagram(let id, _):
                    #expect(relay.core.isRegistered(transmit.connection, as: .agent, for: id))
                    // …and sent by the connector that agent is assigned to.
                    #expect(relay.core.isRegistered(client, as: .connector, for: id))
                    #expect(relay.core.snapshot.first { $0.id == transmit.connection }?.assignments[id] == client)
                default:
                    break
                }
            }
            peers = Array(relay.core.agentsByPeer.keys) + [PeerID(rawValue: 1)]
        }
        let counters = relay.core.counters
        #expect(counters.forwardedToConnectors > 100 && counters.forwardedToAgents > 100)
        #expect(counters.totalDrops > 1_000)
        #expect(counters.connections == clients.count)
        #expect(counters.services == relay.core.slotByID.count)
    }
}
