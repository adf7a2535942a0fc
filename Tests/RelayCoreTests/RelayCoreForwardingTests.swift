import Testing
import ZTNAIdentity
import ZTNAProtocol
@testable import RelayCore

/// DESIGN.md §3 forwarding: routes, connector choice, connector departure, and every attack we can think
/// of, each dropped and counted by reason.
@Suite struct RelayCoreForwardingTests {
    let web = RelayHarness.service("web")
    let db = RelayHarness.service("db")

    // MARK: - Routes

    @Test func agentToConnectorAndBack() throws {
        var relay = RelayHarness()
        let connector = relay.connect("c", connector: ["web"])
        let agent = relay.connect("a", agent: ["web"])
        relay.registerConnector(connector, "web")
        relay.registerAgent(agent, "web")
        let peer = try #require(relay.peer(of: agent))
        let packet: [UInt8] = Array(0..<100)
        #expect(relay.fromAgent(agent, "web", packet).pairs
            == [sent(connector, .peerDatagram(peer: peer, web, payload: packet[...]))])
        let reply: [UInt8] = Array(repeating: 0xAB, count: 1350)
        #expect(relay.fromConnector(connector, to: peer, "web", reply).pairs
            == [sent(agent, .serviceDatagram(web, payload: reply[...]))])
        #expect(relay.fromAgent(agent, "web", []).pairs == [sent(connector, .peerDatagram(peer: peer, web, payload: []))])
        let counters = relay.core.counters
        #expect(counters.forwardedToConnectors == 2 && counters.forwardedBytesToConnectors == 100)
        #expect(counters.forwardedToAgents == 1 && counters.forwardedBytesToAgents == 1350)
        #expect(counters.totalDrops == 0)
    }

    @Test func connectorChoiceSpreadsAgentsAndSticks() throws {
        var relay = RelayHarness()
        let c1 = relay.connect("c1", connector: ["web"]), c2 = relay.connect("c2", connector: ["web"])
        relay.registerConnector(c1, "web")
        relay.registerConnector(c2, "web")
        var agents: [RelayConnectionID] = []
        for index in 0..<6 {
            let agent = relay.connect("a\(index)", agent: ["web"])
            relay.registerAgent(agent, "web")
            agents.append(agent)
        }
        var chosen: [RelayConnectionID: RelayConnectionID] = [:]
        for agent in agents { chosen[agent] = relay.fromAgent(agent, "web", [1]).first?.to }
        #expect(agents.map { chosen[$0] } == [c1, c2, c1, c2, c1, c2])  // least-assigned, earliest on ties
        // Sticky: many more packets, same connectors.
        for _ in 0..<5 {
            for agent in agents { #expect(relay.fromAgent(agent, "web", [2]).first?.to == chosen[agent]) }
        }
    }

    @Test func agentsMoveWhenTheirConnectorLeavesAndLearnWhenNoneIsLeft() throws {
        var relay = RelayHarness()
        let c1 = relay.connect("c1", connector: ["web"]), c2 = relay.connect("c2", connector: ["web"])
        relay.registerConnector(c1, "web")
        relay.registerConnector(c2, "web")
        let a1 = relay.connect("a1", agent: ["web"]), a2 = relay.connect("a2", agent: ["web"])
        relay.registerAgent(a1, "web")
        relay.registerAgent(a2, "web")
        #expect(relay.fromAgent(a1, "web", [1]).first?.to == c1)
        #expect(relay.fromAgent(a2, "web", [1]).first?.to == c2)
        let peer1 = try #require(relay.peer(of: a1))

        relay.core.connectionClosed(c1)
        #expect(relay.drain().isEmpty)  // c2 still serves: availability unchanged, no status
        // c2 may not talk to a1 until a1's traffic is routed to it…
        #expect(relay.fromConnector(c2, to: peer1, "web", [9]).isEmpty)
        #expect(relay.core.counters.drops(.peerNotAssigned) == 1)
        // …which happens on a1's next packet.
        #expect(relay.fromAgent(a1, "web", [2]).first?.to == c2)
        #expect(relay.fromConnector(c2, to: peer1, "web", [9]).pairs == [sent(a1, .serviceDatagram(web, payload: [9]))])

        relay.send(.deregister(web), from: c2)
        #expect(relay.drain().pairs == [
            sent(a1, .serviceStatus(available: false, web)), sent(a2, .serviceStatus(available: false, web)),
            sent(c2, .registerAck(web)),
        ])
        #expect(relay.fromAgent(a1, "web", [3]).isEmpty)
        #expect(relay.core.counters.drops(.noConnector) == 1)
        // A connector comes back: agents are told, and traffic flows again.
        let c3 = relay.connect("c3", connector: ["web"])
        relay.send(.registerConnector(web), from: c3)
        #expect(relay.drain().pairs == [
            sent(c3, .registerAck(web)),
            sent(a1, .serviceStatus(available: true, web)), sent(a2, .serviceStatus(available: true, web)),
        ])
        #expect(relay.fromAgent(a2, "web", [4]).first?.to == c3)
    }

    @Test func agentDeregisterOrCloseReleasesItsAssignment() throws {
        var relay = RelayHarness()
        let c1 = relay.connect("c1", connector: ["web"]), c2 = relay.connect("c2", connector: ["web"])
        relay.registerConnector(c1, "web")
        relay.registerConnector(c2, "web")
        let a1 = relay.connect("a1", agent: ["web"])
        relay.registerAgent(a1, "web")
        let peer1 = try #require(relay.peer(of: a1))
        #expect(relay.fromAgent(a1, "web", [1]).first?.to == c1)
        relay.send(.deregister(web), from: a1)
        _ = relay.drain()
        #expect(relay.fromConnector(c1, to: peer1, "web", [1]).isEmpty)
        #expect(relay.core.counters.drops(.peerNotRegistered) == 1)
        // c1's load went back to 0, so the next new agent goes to c1 again.
        let a2 = relay.connect("a2", agent: ["web"])
        relay.registerAgent(a2, "web")
        #expect(relay.fromAgent(a2, "web", [1]).first?.to == c1)
        relay.core.connectionClosed(a2)
        let a3 = relay.connect("a3", agent: ["web"])
        relay.registerAgent(a3, "web")
        #expect(relay.fromAgent(a3, "web", [1]).first?.to == c1)
    }

    // MARK: - Attacks: each is dropped, produces nothing, and is counted by its reason

    struct Scene {
        var relay = RelayHarness()
        let webConnector: RelayConnectionID, webConnector2: RelayConnectionID, dbConnector: RelayConnectionID
        let webAgent: RelayConnectionID, webAgent2: RelayConnectionID, dbAgent: RelayConnectionID
        let idleAgent: RelayConnectionID

        init() {
            webConnector = relay.connect("web-c1", connector: ["web"])
            webConnector2 = relay.connect("web-c2", connector: ["web"])
            dbConnector = relay.connect("db-c", connector: ["db"])
            webAgent = relay.connect("web-a1", agent: ["web"])
            webAgent2 = relay.connect("web-a2", agent: ["web"])
            dbAgent = relay.connect("db-a", agent: ["db"])
            idleAgent = relay.connect("idle", agent: ["web"])
            relay.registerConnector(webConnector, "web")
            relay.registerConnector(webConnector2, "web")
            relay.registerConnector(dbConnector, "db")
            for (agent, service) in [(webAgent, "web"), (webAgent2, "web"), (dbAgent, "db"), (idleAgent, "web")] {
                relay.registerAgent(agent, service)
            }
            _ = relay.fromAgent(webAgent, "web", [1])   // → webConnector
            _ = relay.fromAgent(webAgent2, "web", [1])  // → webConnector2
            _ = relay.fromAgent(dbAgent, "db", [1])     // → dbConnector
        }

        func peer(_ id: RelayConnectionID) -> PeerID { relay.peer(of: id)! }
    }

    func expectDropped(_ scene: inout Scene, _ reason: RelayDropReason, _ bytes: [UInt8], from: RelayConnectionID,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let before = scene.relay.core.counters
        scene.relay.send(raw: bytes, from: from)
        #expect(scene.relay.drain().isEmpty, sourceLocation: sourceLocation)
        let after = scene.relay.core.counters
        #expect(after.drops(reason) == before.drops(reason) + 1, sourceLocation: sourceLocation)
        #expect(after.totalDrops == before.totalDrops + 1, sourceLocation: sourceLocation)
        #expect(after.forwardedToAgents == before.forwardedToAgents, sourceLocation: sourceLocation)
        #expect(after.forwardedToConnectors == before.forwardedToConnectors, sourceLocation: sourceLocation)
    }

    @Test func connectorCannotReachAgentsOfAnotherService() {
        var scene = Scene()
        // Names its own service but a db agent's peer id: that agent is not registered for web.
        expectDropped(&scene, .peerNotRegistered,
                      RelayMessage.peerDatagram(peer: scene.peer(scene.dbAgent), web, payload: [1]).bytes,
                      from: scene.webConnector)
        // Names db, which it does not serve.
        expectDropped(&scene, .connectorNotRegistered,
                      RelayMessage.peerDatagram(peer: scene.peer(scene.dbAgent), db, payload: [1]).bytes,
                      from: scene.webConnector)
    }

    @Test func connectorCannotReachAgentsAssignedToAnotherConnector() {
        var scene = Scene()
        expectDropped(&scene, .peerNotAssigned,
                      RelayMessage.peerDatagram(peer: scene.peer(scene.webAgent2), web, payload: [1]).bytes,
                      from: scene.webConnector)
        // Nor an agent of its service that has not sent anything yet (assigned to no connector).
        expectDropped(&scene, .peerNotAssigned,
                      RelayMessage.peerDatagram(peer: scene.peer(scene.idleAgent), web, payload: [1]).bytes,
                      from: scene.webConnector)
    }

    @Test func forgedOrStalePeerIDs() {
        var scene = Scene()
        let real = scene.peer(scene.webAgent)
        for forged in [PeerID(rawValue: 0), PeerID(rawValue: real.rawValue ^ 1), PeerID(rawValue: .max)] {
            expectDropped(&scene, .unknownPeer, RelayMessage.peerDatagram(peer: forged, web, payload: [1]).bytes,
                          from: scene.webConnector)
        }
        scene.relay.core.connectionClosed(scene.webAgent)
        expectDropped(&scene, .unknownPeer, RelayMessage.peerDatagram(peer: real, web, payload: [1]).bytes,
                      from: scene.webConnector)
    }

    @Test func agentsAndConnectorsCannotUseTheOtherRole() {
        var scene = Scene()
        // An agent sending 0x2F for a service it did not register (db), and for an unknown service.
        expectDropped(&scene, .agentNotRegistered, RelayMessage.serviceDatagram(db, payload: [1]).bytes,
                      from: scene.webAgent)
        expectDropped(&scene, .agentNotRegistered,
                      RelayMessage.serviceDatagram(RelayHarness.service("nope"), payload: [1]).bytes,
                      from: scene.webAgent)
        // A connector sending 0x2F.
        expectDropped(&scene, .agentNotRegistered, RelayMessage.serviceDatagram(web, payload: [1]).bytes,
                      from: scene.webConnector)
        // An agent sending 0x30, even naming another agent of its own service.
        expectDropped(&scene, .connectorNotRegistered,
                      RelayMessage.peerDatagram(peer: scene.peer(scene.webAgent2), web, payload: [1]).bytes,
                      from: scene.webAgent)
    }

    @Test func relayToClientTypesUnknownTypesAndMalformedDatagrams() {
        var scene = Scene()
        let agent = scene.webAgent
        for message: RelayMessage in [
            .observedAddress(.init(ip: .v4(1), port: 1)), .registerAck(web),
            .registerNack(reason: .malformed, id: []), .serviceStatus(available: true, web),
        ] {
            expectDropped(&scene, .wrongDirection, message.bytes, from: agent)
        }
        for type: UInt8 in [0x00, 0x02, 0x16, 0x2E, 0x31, 0xFF] {
            expectDropped(&scene, .unknownType, [type, 3] + web.bytes + [1], from: agent)
        }
        expectDropped(&scene, .empty, [], from: agent)
        expectDropped(&scene, .malformed, [0x2F], from: agent)
        expectDropped(&scene, .malformed, [0x2F, 9] + web.bytes, from: agent)
        expectDropped(&scene, .malformed, [0x2F, 0, 1, 2], from: agent)
        expectDropped(&scene, .malformed, [0x2F, 3] + Array("WEB".utf8) + [1], from: agent)
        expectDropped(&scene, .malformed, [0x30, 1, 2, 3], from: scene.webConnector)
        expectDropped(&scene, .unknownConnection, RelayMessage.serviceDatagram(web, payload: [1]).bytes,
                      from: RelayConnectionID(rawValue: 12345))
    }

    @Test func oversizeDatagramsAreDropped() {
        var relay = RelayHarness(limits: RelayLimits(maxDatagramSize: 1200))
        let connector = relay.connect("c", connector: ["web"]), agent = relay.connect("a", agent: ["web"])
        relay.registerConnector(connector, "web")
        relay.registerAgent(agent, "web")
        let fits = [UInt8](repeating: 1, count: 1200 - 5)
        #expect(relay.fromAgent(agent, "web", fits).count == 1)
        #expect(relay.fromAgent(agent, "web", fits + [1]).isEmpty)
        #expect(relay.core.counters.drops(.oversize) == 1)
    }

    // MARK: - Queue

    @Test func fullQueueDropsInsteadOfGrowing() {
        var relay = RelayHarness(limits: RelayLimits(maxQueuedDatagrams: 3))
        let connector = relay.connect("c", connector: ["web"]), agent = relay.connect("a", agent: ["web"])
        relay.registerConnector(connector, "web")
        relay.registerAgent(agent, "web")
        for _ in 0..<5 { relay.send(.serviceDatagram(web, payload: [1]), from: agent) }
        #expect(relay.drain().count == 3)
        #expect(relay.core.counters.drops(.queueFull) == 2)
        // Control messages are never refused for queue depth.
        for _ in 0..<5 { relay.send(.registerAgent(web), from: agent) }
        #expect(relay.drain().count == 10)
    }

    @Test func closingAConnectionDiscardsItsQueuedDatagrams() {
        var relay = RelayHarness()
        let connector = relay.connect("c", connector: ["web"]), agent = relay.connect("a", agent: ["web"])
        relay.registerConnector(connector, "web")
        relay.registerAgent(agent, "web")
        let other = relay.connect("o", address: .init(ip: .v4(1), port: 1))
        relay.send(.serviceDatagram(web, payload: [1]), from: agent)
        relay.send(.serviceDatagram(web, payload: [2]), from: agent)
        relay.core.connectionClosed(connector)
        // Only what is addressed to live connections remains (the agent's status 00).
        #expect(relay.drain().pairs == [sent(other, .observedAddress(.init(ip: .v4(1), port: 1))),
                                        sent(agent, .serviceStatus(available: false, web))])
    }

    // MARK: - Volume

    @Test func forwardsAHundredThousandDatagramsExactly() throws {
        var relay = RelayHarness()
        let c1 = relay.connect("c1", connector: ["web"]), c2 = relay.connect("c2", connector: ["web"])
        relay.registerConnector(c1, "web")
        relay.registerConnector(c2, "web")
        var agents: [(RelayConnectionID, PeerID, RelayConnectionID)] = []
        for index in 0..<8 {
            let agent = relay.connect("a\(index)", agent: ["web"])
            relay.registerAgent(agent, "web")
            let connector = try #require(relay.fromAgent(agent, "web", [0]).first?.to)
            agents.append((agent, try #require(relay.peer(of: agent)), connector))
        }
        let base = relay.core.counters
        let toConnector = RelayMessage.serviceDatagram(web, payload: [UInt8](repeating: 0x11, count: 1200)[...]).bytes
        var delivered = [0, 0]
        for round in 0..<50_000 {
            let (agent, peer, connector) = agents[round % agents.count]
            relay.core.handleDatagram(toConnector, from: agent)
            let reply = RelayMessage.peerDatagram(peer: peer, web, payload: [UInt8](repeating: 0x22, count: 64)[...])
            relay.core.handleDatagram(reply.bytes, from: connector)
            while let transmit = relay.core.pollTransmit() {
                delivered[transmit.connection == connector ? 0 : 1] += 1
            }
        }
        let counters = relay.core.counters
        #expect(delivered == [50_000, 50_000])
        #expect(counters.forwardedToConnectors - base.forwardedToConnectors == 50_000)
        #expect(counters.forwardedBytesToConnectors - base.forwardedBytesToConnectors == 50_000 * 1200)
        #expect(counters.forwardedToAgents == 50_000)
        #expect(counters.forwardedBytesToAgents == 50_000 * 64)
        #expect(counters.totalDrops == 0)
    }
}
