import NIOCore
import Testing
import ZTNAIdentity
import ZTNAProtocol
@testable import RelayCore

/// RelaySession (client) ↔ RelayCore (relay), entirely in memory: several agents, two connectors,
/// registration with a lost REGISTER, forwarding both ways, a connector leaving, the last one leaving.
@Suite struct RelaySessionLoopTests {
    /// An in-memory relay with its clients; datagrams are delivered instantly, in order.
    struct Network {
        var relay = RelayCore(randomSeed: 2024)
        var clients: [RelayConnectionID: RelaySession] = [:]
        var events: [RelayConnectionID: [RelaySessionEvent]] = [:]
        var now = NIODeadline.uptimeNanoseconds(5_000_000_000)
        /// The next datagram from these clients is lost on the way to the relay.
        var loseNextFrom: Set<RelayConnectionID> = []
        private var nextID: UInt64 = 1

        mutating func join(_ role: RelaySession.Role, _ services: [String], granted: [String]) -> RelayConnectionID {
            let id = RelayConnectionID(rawValue: nextID)
            nextID += 1
            let grant = RelayHarness.grant(granted)
            let grants = role == .agent ? Grants(agent: grant) : Grants(connector: grant)
            let address = ObservedAddress(ip: .v4(0xC633_6400 | UInt32(nextID)), port: UInt16(40_000 + nextID))
            relay.connectionEstablished(id, grants: grants, name: "node-\(id.rawValue)", address: address)
            var session = RelaySession(role: role, services: services.map { ServiceID($0)! }, randomSeed: nextID)
            session.connected(now: now)
            clients[id] = session
            pump()
            return id
        }

        mutating func leave(_ id: RelayConnectionID) {
            clients[id]?.disconnected()
            clients[id] = nil
            relay.connectionClosed(id)
            pump()
        }

        /// Delivers everything in both directions until nothing moves.
        mutating func pump() {
            var moved = true
            while moved {
                moved = false
                for id in clients.keys.sorted() {
                    while let datagram = clients[id]?.pollDatagram() {
                        moved = true
                        if loseNextFrom.remove(id) != nil { continue }
                        relay.handleDatagram(datagram, from: id)
                    }
                }
                while let transmit = relay.pollTransmit() {
                    moved = true
                    clients[transmit.connection]?.handle(transmit.datagram, now: now)
                }
                for id in clients.keys {
                    while let event = clients[id]?.pollEvent() { events[id, default: []].append(event) }
                }
            }
        }

        /// Runs the clients' retry timers up to `deadline`.
        mutating func advance(to deadline: NIODeadline) {
            while let next = clients.values.compactMap({ $0.pollTimeout() }).min(), next <= deadline {
                now = next
                for id in clients.keys { clients[id]?.handleTimeout(now: now) }
                pump()
            }
            now = deadline
        }

        mutating func takeEvents(_ id: RelayConnectionID) -> [RelaySessionEvent] {
            defer { events[id] = [] }
            return events[id] ?? []
        }

        /// An agent sends a tunnel packet; returns which connector got it and the peer id it saw.
        mutating func agentSends(_ agent: RelayConnectionID, _ service: String, _ payload: [UInt8]) -> (RelayConnectionID, PeerID)? {
            guard let bytes = clients[agent]?.serviceDatagram(for: ServiceID(service)!, payload: payload[...]) else {
                return nil
            }
            relay.handleDatagram(bytes, from: agent)
            pump()
            for id in clients.keys.sorted() where clients[id]?.role == .connector {
                for event in takeEvents(id) {
                    if case .peerDatagram(let peer, let got, let body) = event, got == ServiceID(service)!,
                       Array(body) == payload {
                        return (id, peer)
                    }
                }
            }
            return nil
        }
    }

    let web = ServiceID("web")!
    let db = ServiceID("db")!

    @Test func agentsAndConnectorsThroughTheRelay() throws {
        var net = Network()
        let c1 = net.join(.connector, ["web"], granted: ["web"])
        let c2 = net.join(.connector, ["web", "db"], granted: ["web"])  // not granted db: NACK 02
        net.loseNextFrom.insert(RelayConnectionID(rawValue: 3))         // the first agent's REGISTER is lost
        let agents = [net.join(.agent, ["web"], granted: ["web"]), net.join(.agent, ["web", "db"], granted: ["*"]),
                      net.join(.agent, ["web"], granted: ["web"]), net.join(.agent, ["web"], granted: ["web"])]
        #expect(agents[0] == RelayConnectionID(rawValue: 3))

        // Registration: the lost REGISTER is retried 500 ms (±20 %) later; nothing else retries.
        #expect(net.clients[agents[0]]?.state(of: web) == .pending)
        net.advance(to: net.now + .seconds(1))
        for agent in agents { #expect(net.clients[agent]?.state(of: web) == .registered) }
        #expect(net.clients[c1]?.isFullyRegistered == true)
        #expect(net.clients[c2]?.state(of: web) == .registered)
        #expect(net.clients[c2]?.state(of: db) == .refused(.notAuthorized))
        #expect(net.clients[c2]?.pollTimeout() == nil)
        #expect(net.clients[agents[1]]?.isAvailable(web) == true)
        #expect(net.clients[agents[1]]?.isAvailable(db) == false)
        #expect(net.takeEvents(c2).contains(.refused(db, .notAuthorized)))
        for agent in agents {
            let events = net.takeEvents(agent)
            #expect(events.contains(.registered(web)))
            #expect(events.contains(.availabilityChanged(web, available: true)))
            #expect(events.contains { if case .observedAddress = $0 { true } else { false } })
        }
        #expect(net.relay.counters.agentRegistrations == 5)  // 4 × web + 1 × db
        #expect(net.relay.counters.rejections(.notAuthorized) == 1)

        // Forwarding both ways; new agents are spread across the two connectors.
        var route: [RelayConnectionID: (RelayConnectionID, PeerID)] = [:]
        for (index, agent) in agents.enumerated() {
            let delivered = net.agentSends(agent, "web", [UInt8(index), 1, 2, 3])
            route[agent] = try #require(delivered)
        }
        #expect(agents.map { route[$0]!.0 } == [c1, c2, c1, c2])
        #expect(Set(agents.map { route[$0]!.1 }).count == 4)
        for agent in agents {
            let (connector, peer) = route[agent]!
            let reply = try #require(net.clients[connector]?.peerDatagram(to: peer, for: web, payload: [0xEE, 0xFF]))
            net.relay.handleDatagram(reply, from: connector)
            net.pump()
            #expect(net.takeEvents(agent) == [.serviceDatagram(web, payload: [0xEE, 0xFF])])
        }
        // db has no connector: the agent knows, and its packets are dropped at the relay.
        #expect(net.clients[agents[1]]?.serviceDatagram(for: db, payload: [1]) != nil)
        let lost = net.agentSends(agents[1], "db", [1])
        #expect(lost == nil)
        #expect(net.relay.counters.drops(.noConnector) == 1)

        // c1 leaves: its agents move to c2 on their next packet; availability never flickers.
        net.leave(c1)
        for agent in agents {
            #expect(net.takeEvents(agent).isEmpty)
            let delivered = net.agentSends(agent, "web", [7])
            #expect(delivered?.0 == c2)
        }
        for agent in [agents[0], agents[2]] {
            let peer = route[agent]!.1
            let reply = try #require(net.clients[c2]?.peerDatagram(to: peer, for: web, payload: [8]))
            net.relay.handleDatagram(reply, from: c2)
            net.pump()
            #expect(net.takeEvents(agent) == [.serviceDatagram(web, payload: [8])])
        }

        // The last connector leaves: every agent learns the service is unavailable.
        net.leave(c2)
        for agent in agents {
            #expect(net.takeEvents(agent) == [.availabilityChanged(web, available: false)])
            #expect(net.clients[agent]?.isAvailable(web) == false)
        }
        #expect(net.relay.counters.connectorConnections == 0)
        #expect(net.relay.counters.agentConnections == 4)
        #expect(net.relay.counters.forwardedToConnectors == 8)
        #expect(net.relay.counters.forwardedToAgents == 6)
        #expect(net.relay.counters.totalDrops == 1)
    }

    @Test func reconnectingClientRegistersEverythingAgain() {
        var net = Network()
        let connector = net.join(.connector, ["web"], granted: ["web"])
        let agent = net.join(.agent, ["web"], granted: ["web"])
        #expect(net.clients[agent]?.isAvailable(web) == true)
        // The connector's relay connection drops and comes back as a new connection.
        net.leave(connector)
        #expect(net.clients[agent]?.isAvailable(web) == false)
        let again = net.join(.connector, ["web"], granted: ["web"])
        #expect(net.clients[again]?.isFullyRegistered == true)
        #expect(net.clients[agent]?.isAvailable(web) == true)
        let delivered = net.agentSends(agent, "web", [1])
        #expect(delivered?.0 == again)
    }
}
