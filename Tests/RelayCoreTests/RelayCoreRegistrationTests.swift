import Testing
import ZTNAIdentity
import ZTNAProtocol
@testable import RelayCore

/// DESIGN.md §3 registration rules: OBSERVED_ADDRESS, REGISTER/ACK/NACK, DEREGISTER, SERVICE_STATUS,
/// authorization, limits.
@Suite struct RelayCoreRegistrationTests {
    let web = RelayHarness.service("web")
    let db = RelayHarness.service("db")
    let home = ObservedAddress(ip: .v4(0xCB00_7107), port: 4433)

    // MARK: - OBSERVED_ADDRESS

    @Test func observedAddressOnEstablishmentAndOnChangeOnly() {
        var relay = RelayHarness()
        let known = relay.connect("a", address: home)
        #expect(relay.drain().pairs == [sent(known, .observedAddress(home))])
        let unknown = relay.connect("b")
        #expect(relay.drain().isEmpty)
        relay.core.connectionAddressChanged(known, to: home)
        #expect(relay.drain().isEmpty)
        let rebound = ObservedAddress(ip: .v4(0xCB00_7107), port: 61000)
        relay.core.connectionAddressChanged(known, to: rebound)
        relay.core.connectionAddressChanged(unknown, to: home)
        #expect(relay.drain().pairs == [sent(known, .observedAddress(rebound)), sent(unknown, .observedAddress(home))])
        relay.core.connectionAddressChanged(RelayConnectionID(rawValue: 999), to: home)
        #expect(relay.drain().isEmpty)
        #expect(relay.core.counters.controlMessagesSent == 3)
    }

    // MARK: - REGISTER

    @Test func agentRegisterIsAckedThenStatused() {
        var relay = RelayHarness()
        let agent = relay.connect("laptop", agent: ["web"])
        relay.send(.registerAgent(web), from: agent)
        #expect(relay.drain().pairs == [sent(agent, .registerAck(web)), sent(agent, .serviceStatus(available: false, web))])
        #expect(relay.core.isRegistered(agent, as: .agent, for: web))
        #expect(relay.core.counters.agentRegistrations == 1)
        #expect(relay.core.counters.agentConnections == 1)
    }

    @Test func availabilityIsBroadcastOnlyWhenItChanges() {
        var relay = RelayHarness()
        let a1 = relay.connect("a1", agent: ["web"]), a2 = relay.connect("a2", agent: ["*"])
        let other = relay.connect("a3", agent: ["db"])
        relay.registerAgent(a1, "web")
        relay.registerAgent(a2, "web")
        relay.registerAgent(other, "db")
        let c1 = relay.connect("c1", connector: ["web"]), c2 = relay.connect("c2", connector: ["web"])
        relay.send(.registerConnector(web), from: c1)
        #expect(relay.drain().pairs == [
            sent(c1, .registerAck(web)),
            sent(a1, .serviceStatus(available: true, web)), sent(a2, .serviceStatus(available: true, web)),
        ])
        relay.send(.registerConnector(web), from: c2)
        #expect(relay.drain().pairs == [sent(c2, .registerAck(web))])  // still available: no status
        // A new agent learns the current state right after its ACK.
        let a4 = relay.connect("a4", agent: ["web"])
        relay.send(.registerAgent(web), from: a4)
        #expect(relay.drain().pairs == [sent(a4, .registerAck(web)), sent(a4, .serviceStatus(available: true, web))])
        relay.core.connectionClosed(c1)
        #expect(relay.drain().isEmpty)
        relay.send(.deregister(web), from: c2)
        #expect(relay.drain().pairs == [
            sent(a1, .serviceStatus(available: false, web)), sent(a2, .serviceStatus(available: false, web)),
            sent(a4, .serviceStatus(available: false, web)), sent(c2, .registerAck(web)),
        ])
    }

    @Test(arguments: [
        ([0x10], []),
        ([0x10, 0], []),
        ([0x10, 3] + Array("Web".utf8), Array("Web".utf8)),
        ([0x10, 5] + Array("ab".utf8), Array("ab".utf8)),
        ([0x10, 1] + Array("ax".utf8), Array("a".utf8)),
        ([0x10, 4] + Array("-web".utf8), Array("-web".utf8)),
        ([0x11, 64] + [UInt8](repeating: 0x61, count: 64), [UInt8](repeating: 0x61, count: 64)),
        ([0x11, 2] + Array("a_".utf8), Array("a_".utf8)),
    ] as [([UInt8], [UInt8])])
    func malformedRegisterIsNackedWithTheIDEchoed(bytes: [UInt8], echo: [UInt8]) {
        var relay = RelayHarness()
        let client = relay.connect("c", agent: ["*"], connector: ["*"])
        relay.send(raw: bytes, from: client)
        #expect(relay.drain().pairs == [sent(client, .registerNack(reason: .malformed, id: echo))])
        #expect(relay.core.counters.rejections(.malformed) == 1)
        #expect(relay.core.counters.services == 0)
    }

    @Test func registrationNeedsTheGrantForThatRoleAndService() {
        var relay = RelayHarness()
        let agentOnly = relay.connect("a", agent: ["web"])
        let nothing = relay.connect("n")
        let wildcard = relay.connect("w", agent: ["*"], connector: ["*"])
        relay.send(.registerConnector(web), from: agentOnly)   // role not granted
        relay.send(.registerAgent(db), from: agentOnly)        // service not granted
        relay.send(.registerAgent(web), from: nothing)         // no grants at all
        #expect(relay.drain().pairs == [
            sent(agentOnly, .registerNack(reason: .notAuthorized, id: web.bytes)),
            sent(agentOnly, .registerNack(reason: .notAuthorized, id: db.bytes)),
            sent(nothing, .registerNack(reason: .notAuthorized, id: web.bytes)),
        ])
        #expect(relay.core.counters.rejections(.notAuthorized) == 3)
        relay.send(.registerAgent(db), from: wildcard)
        relay.send(.registerConnector(web), from: wildcard)
        #expect(relay.drain().pairs == [
            sent(wildcard, .registerAck(db)), sent(wildcard, .serviceStatus(available: false, db)),
            sent(wildcard, .registerAck(web)),
        ])
        // One connection, both roles (per service), as granted.
        #expect(relay.core.snapshot.first { $0.id == wildcard }?.roles == [.agent, .connector])
        #expect(relay.core.counters.agentConnections == 1 && relay.core.counters.connectorConnections == 1)
    }

    @Test func duplicateRegisterIsAckedAgainWithoutDoubleCounting() {
        var relay = RelayHarness()
        let agent = relay.connect("a", agent: ["web"])
        let connector = relay.connect("c", connector: ["web"])
        relay.registerAgent(agent, "web")
        relay.registerConnector(connector, "web")
        relay.send(.registerAgent(web), from: agent)
        relay.send(.registerConnector(web), from: connector)
        #expect(relay.drain().pairs == [
            sent(agent, .registerAck(web)), sent(agent, .serviceStatus(available: true, web)),
            sent(connector, .registerAck(web)),
        ])
        #expect(relay.core.counters.agentRegistrations == 1)
        #expect(relay.core.counters.connectorRegistrations == 1)
        #expect(relay.core.counters.registrationsRepeated == 2)
        // Still exactly one connector entry: the agent's packets are forwarded once.
        #expect(relay.fromAgent(agent, "web", [1]).count == 1)
    }

    // MARK: - DEREGISTER

    @Test func deregisterIsAlwaysAckedAndRemovesTheRegistration() {
        var relay = RelayHarness()
        let agent = relay.connect("a", agent: ["web"])
        relay.registerAgent(agent, "web")
        relay.send(.deregister(web), from: agent)
        relay.send(.deregister(db), from: agent)  // never registered: still ACKed
        #expect(relay.drain().pairs == [sent(agent, .registerAck(web)), sent(agent, .registerAck(db))])
        #expect(!relay.core.isRegistered(agent, as: .agent, for: web))
        #expect(relay.core.counters.deregistrations == 2)
        #expect(relay.core.counters.services == 0)
        #expect(relay.core.counters.agentConnections == 0)
        relay.send(raw: [0x14, 2, UInt8(ascii: "A")], from: agent)
        #expect(relay.drain().pairs == [sent(agent, .registerNack(reason: .malformed, id: [UInt8(ascii: "A")]))])
    }

    // MARK: - Limits

    @Test func registrationsPerConnectionAndServicesPerAgent() {
        var relay = RelayHarness(limits: RelayLimits(registrationsPerConnection: 3, servicesPerAgent: 2))
        let client = relay.connect("c", agent: ["*"], connector: ["*"])
        for name in ["s1", "s2", "s3"] { relay.send(.registerAgent(RelayHarness.service(name)), from: client) }
        let afterAgents = relay.drain().compactMap(\.message).filter { $0.kind != .serviceStatus }
        #expect(afterAgents == [
            .registerAck(RelayHarness.service("s1")), .registerAck(RelayHarness.service("s2")),
            .registerNack(reason: .limitReached, id: RelayHarness.service("s3").bytes),
        ])
        relay.send(.registerConnector(RelayHarness.service("s3")), from: client)  // third registration: fits
        relay.send(.registerConnector(RelayHarness.service("s4")), from: client)  // fourth: over
        #expect(relay.drain().compactMap(\.message) == [
            .registerAck(RelayHarness.service("s3")),
            .registerNack(reason: .limitReached, id: RelayHarness.service("s4").bytes),
        ])
        // A repeat of an existing registration is still ACKed at the limit.
        relay.send(.registerAgent(RelayHarness.service("s1")), from: client)
        #expect(relay.drain().first?.message == .registerAck(RelayHarness.service("s1")))
        #expect(relay.core.counters.rejections(.limitReached) == 2)
    }

    @Test func registrationFloodsStayWithinTheLimits() {
        var relay = RelayHarness(limits: RelayLimits(registrationsPerConnection: 64, servicesPerAgent: 64))
        var clients: [RelayConnectionID] = []
        for index in 0..<10 { clients.append(relay.connect("flood\(index)", agent: ["*"], connector: ["*"])) }
        for round in 0..<5_000 {
            let client = clients[round % clients.count]
            let service = RelayHarness.service("svc-\(round)")
            relay.send(round % 2 == 0 ? .registerAgent(service) : .registerConnector(service), from: client)
            _ = relay.drain()
        }
        #expect(relay.core.counters.services <= 10 * 64)
        #expect(relay.core.slotByID.count == relay.core.counters.services)
        #expect(relay.core.services.count <= 10 * 64)
        #expect(relay.core.connections.values.allSatisfy { $0.registrationCount <= 64 })
        #expect(relay.core.counters.rejections(.limitReached) == 5_000 - 640)
        // Closing everything frees every service slot's entry.
        for client in clients { relay.core.connectionClosed(client) }
        #expect(relay.core.counters.services == 0 && relay.core.slotByID.isEmpty)
        #expect(relay.core.counters.connections == 0)
    }

    @Test func connectionAdmission() {
        var core = RelayCore(limits: RelayLimits(maxConnections: 2), randomSeed: 1)
        let one = RelayConnectionID(rawValue: 1)
        #expect(core.connectionEstablished(one, grants: .none, name: "1", address: nil) == .accepted)
        #expect(core.connectionEstablished(one, grants: .none, name: "1", address: nil) == .duplicateID)
        #expect(core.connectionEstablished(.init(rawValue: 2), grants: .none, name: "2", address: nil) == .accepted)
        #expect(core.connectionEstablished(.init(rawValue: 3), grants: .none, name: "3", address: nil)
            == .tooManyConnections)
        core.connectionClosed(one)
        #expect(core.connectionEstablished(.init(rawValue: 3), grants: .none, name: "3", address: nil) == .accepted)
        #expect(core.counters.connections == 2)
    }

    // MARK: - Peer ids and status

    @Test func peerIDsAreRandomNonZeroUniqueAndNeverShownToAgents() {
        var relay = RelayHarness(seed: 99)
        var agents: [RelayConnectionID] = []
        var everythingSentToAgents: [RelayHarness.Sent] = []
        let connector = relay.connect("c", connector: ["web"])
        relay.registerConnector(connector, "web")
        for index in 0..<200 {
            let agent = relay.connect("a\(index)", agent: ["web"], address: home)
            agents.append(agent)
            relay.send(.registerAgent(web), from: agent)
            everythingSentToAgents += relay.drain()
        }
        let peers = agents.compactMap { relay.peer(of: $0) }
        #expect(peers.count == 200)
        #expect(Set(peers).count == 200)
        #expect(!peers.contains(PeerID(rawValue: 0)))
        #expect(relay.peer(of: connector) == nil)
        // Traffic both ways: agents only ever receive 0x01/0x12/0x13/0x15/0x2F — never a peer id.
        for agent in agents.prefix(20) {
            _ = relay.fromAgent(agent, "web", [1])
            everythingSentToAgents += relay.fromConnector(connector, to: relay.peer(of: agent)!, "web", [2])
        }
        // Per agent: OBSERVED_ADDRESS at the handshake, OBSERVED_ADDRESS + REGISTER_ACK, SERVICE_STATUS.
        #expect(everythingSentToAgents.count == 200 * 4 + 20)
        for message in everythingSentToAgents {
            #expect(message.message?.kind != .peerDatagram)
            for peer in peers {
                let needle = withUnsafeBytes(of: peer.rawValue.bigEndian, Array.init)
                #expect(!containsRun(message.bytes, needle))
            }
        }
        // A different seed gives different ids.
        var other = RelayHarness(seed: 100)
        let agent = other.connect("a", agent: ["web"])
        other.registerAgent(agent, "web")
        #expect(other.peer(of: agent) != peers.first)
    }

    @Test func snapshotDescribesConnections() {
        var relay = RelayHarness()
        let connector = relay.connect("connector-1", connector: ["web", "db"], address: home)
        relay.registerConnector(connector, "web")
        relay.registerConnector(connector, "db")
        let agent = relay.connect("alice", agent: ["*"])
        relay.registerAgent(agent, "web")
        relay.registerAgent(agent, "db")
        _ = relay.fromAgent(agent, "web", [1])
        let snapshot = relay.core.snapshot
        #expect(snapshot.map(\.id) == [connector, agent])
        #expect(snapshot[0].name == "connector-1" && snapshot[0].address == home && snapshot[0].peer == nil)
        #expect(snapshot[0].connectorServices == [db, web] && snapshot[0].agentServices.isEmpty)
        #expect(snapshot[0].roles == [.connector])
        #expect(snapshot[1].agentServices == [db, web] && snapshot[1].peer != nil)
        #expect(snapshot[1].assignments == [web: connector])  // db has not sent yet: not assigned
        #expect(relay.core.counters.services == 2)
    }
}

/// Whether `run` occurs contiguously in `bytes`.
func containsRun(_ bytes: [UInt8], _ run: [UInt8]) -> Bool {
    guard run.count <= bytes.count else { return false }
    return (0...(bytes.count - run.count)).contains { bytes[$0..<($0 + run.count)].elementsEqual(run) }
}

extension RelayCoreRegistrationTests {
    /// The handshake's OBSERVED_ADDRESS is a DATAGRAM that may be lost: every REGISTER_ACK comes right after
    /// another one, so a client that is registered knows its server-reflexive address (DESIGN.md §6).
    @Test func everyRegisterAckFollowsTheObservedAddress() {
        var relay = RelayHarness(seed: 7)
        let agent = relay.connect("a", agent: ["web"], address: home)
        _ = relay.drain()   // the handshake's OBSERVED_ADDRESS, "lost"
        relay.send(.registerAgent(web), from: agent)
        let kinds = relay.drain().compactMap { $0.message?.kind }
        #expect(kinds.prefix(2) == [.observedAddress, .registerAck])
        relay.send(.registerAgent(web), from: agent)   // a retry: answered the same way
        #expect(relay.drain().compactMap { $0.message?.kind }.prefix(2) == [.observedAddress, .registerAck])
    }
}
