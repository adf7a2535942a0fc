import NATTraversal
import NIOCore
import Testing

// MARK: - The connector side (draft-seemann-quic-nat-traversal-02 §6)

/// A connector with two host addresses and one server-reflexive, the agent's support announced.
struct ConnectorFixture {
    var traversal: ServerTraversal
    let host: SocketAddress
    let host2: SocketAddress
    let reflexive: SocketAddress

    init(configuration: TraversalConfiguration = .init()) throws {
        host = try address("192.168.1.5", 5000)
        host2 = try address("2001:db8::5", 5000)
        reflexive = try address("203.0.113.1", 5000)
        traversal = ServerTraversal(configuration: configuration, enabled: true, now: t0)
        traversal.setLocalCandidates([Candidate(address: reflexive, kind: .serverReflexive),
                                      Candidate(address: host, kind: .host),
                                      Candidate(address: host2, kind: .host)], now: t0)
        traversal.clientSupport(true, now: t0)
    }
}

@Suite struct ServerTraversalTests {
    @Test func advertisesOnlyAfterTheClientOfferedSupportInPriorityOrder() throws {
        var server = ServerTraversal(enabled: true, now: t0)
        let host = try address("192.168.1.5", 5000)
        let reflexive = try address("203.0.113.1", 5000)
        server.setLocalCandidates([Candidate(address: reflexive, kind: .serverReflexive),
                                   Candidate(address: host, kind: .host)], now: t0)
        #expect(server.drain().isEmpty)
        #expect(server.status.path == .relayed(.negotiating))
        server.clientSupport(true, now: t0)
        #expect(server.drain() == [.advertise(sequence: 0, address: host), .advertise(sequence: 1, address: reflexive)])
        #expect(server.status.path == .relayed(.attempting))

        var unsupported = ServerTraversal(enabled: true, now: t0)
        unsupported.setLocalCandidates([Candidate(address: host, kind: .host)], now: t0)
        unsupported.clientSupport(false, now: t0)
        #expect(unsupported.drain().isEmpty)
        #expect(unsupported.status.path == .relayed(.peerLacksSupport))
        var disabled = ServerTraversal(enabled: false, now: t0)
        disabled.setLocalCandidates([Candidate(address: host, kind: .host)], now: t0)
        disabled.clientSupport(true, now: t0)
        #expect(disabled.drain().isEmpty)
        #expect(disabled.status.path == .relayed(.disabledLocally))
    }

    @Test func withdrawalsAndNewAddressesNeverReuseSequences() throws {
        var connector = try ConnectorFixture()
        #expect(connector.traversal.drain().count == 3)
        let moved = try address("203.0.113.1", 6000)
        connector.traversal.setLocalCandidates([Candidate(address: connector.host, kind: .host),
                                                Candidate(address: moved, kind: .serverReflexive)], now: at(ms: 10))
        // host = 0, host2 = 1, reflexive = 2 (priority order, stable).
        #expect(connector.traversal.drain() == [.withdraw(sequence: 1), .withdraw(sequence: 2),
                                                .advertise(sequence: 3, address: moved)])
        connector.traversal.setLocalCandidates([Candidate(address: connector.host, kind: .host),
                                                Candidate(address: moved, kind: .serverReflexive),
                                                Candidate(address: connector.reflexive, kind: .serverReflexive)],
                                               now: at(ms: 20))
        #expect(connector.traversal.drain() == [.advertise(sequence: 4, address: connector.reflexive)])
        #expect(connector.traversal.status.advertised == [0: connector.host, 3: moved, 4: connector.reflexive])
        connector.traversal.setLocalCandidates([], now: at(ms: 30))
        #expect(connector.traversal.drain() == [.withdraw(sequence: 0), .withdraw(sequence: 3), .withdraw(sequence: 4)])
        #expect(connector.traversal.status.path == .relayed(.noLocalCandidates))
    }

    @Test func punchStartsAProbeOnTheSameScheduleAsTheAgent() throws {
        var connector = try ConnectorFixture()
        _ = connector.traversal.drain()
        let agent = try address("198.51.100.2", 4000)
        connector.traversal.punchMeNow(round: 1, pairedWith: 2, address: agent, now: t0)
        #expect(connector.traversal.drain() == [.probe(address: agent)])
        let log = connector.traversal.run(until: at(ms: 10_000))
        #expect(log.map(\.ms) == [100, 300, 700, 1500, 3100])
        #expect(log.map(\.action) == [.reprobe(address: agent), .reprobe(address: agent), .reprobe(address: agent),
                                      .reprobe(address: agent), .cancelProbe(address: agent)])
        #expect(connector.traversal.status.path == .relayed(.probesUnanswered))
    }

    @Test func higherRoundsCancelLowerOnesAndOlderRoundsAreIgnored() throws {
        var connector = try ConnectorFixture()
        _ = connector.traversal.drain()
        let a = try address("198.51.100.2", 4000)
        let b = try address("10.0.0.2", 4000)
        connector.traversal.punchMeNow(round: 5, pairedWith: 2, address: a, now: t0)
        connector.traversal.punchMeNow(round: 5, pairedWith: 0, address: b, now: t0)
        #expect(connector.traversal.drain() == [.probe(address: a), .probe(address: b)])
        connector.traversal.punchMeNow(round: 4, pairedWith: 2, address: a, now: at(ms: 10))
        #expect(connector.traversal.drain().isEmpty)
        #expect(connector.traversal.status.counters.staleRoundsIgnored == 1)
        connector.traversal.punchMeNow(round: 5, pairedWith: 2, address: a, now: at(ms: 10))
        #expect(connector.traversal.drain().isEmpty)
        #expect(connector.traversal.status.counters.punchesDuplicate == 1)
        connector.traversal.punchMeNow(round: 6, pairedWith: 2, address: a, now: at(ms: 20))
        #expect(connector.traversal.drain() == [.cancelProbe(address: a), .cancelProbe(address: b), .probe(address: a)])
        #expect(connector.traversal.status.currentRound == 6)
        // Peer-provided extremes never trap.
        connector.traversal.punchMeNow(round: .max, pairedWith: .max, address: a, now: at(ms: 30))
        connector.traversal.punchMeNow(round: .max, pairedWith: 2, address: b, now: at(ms: 30))
        connector.traversal.punchMeNow(round: 0, pairedWith: 2, address: b, now: at(ms: 30))
        #expect(connector.traversal.status.counters.punchesUnknownSequence == 1)
        #expect(connector.traversal.status.counters.staleRoundsIgnored == 2)
    }

    @Test func concurrencyLimitBoundsProbesInFlight() throws {
        var configuration = TraversalConfiguration()
        configuration.concurrencyLimit = 2
        var connector = try ConnectorFixture(configuration: configuration)
        _ = connector.traversal.drain()
        #expect(connector.traversal.concurrencyLimit == 2)
        let agents = try (1...3).map { try address("198.51.100.\($0)", 4000) }
        for agent in agents { connector.traversal.punchMeNow(round: 1, pairedWith: 2, address: agent, now: t0) }
        #expect(connector.traversal.drain() == [.probe(address: agents[0]), .probe(address: agents[1])])
        #expect(connector.traversal.status.counters.punchesOverLimit == 1)
        // A slot frees up: the same round may use it.
        connector.traversal.probeSucceeded(address: agents[0], now: at(ms: 30))
        connector.traversal.punchMeNow(round: 1, pairedWith: 2, address: agents[2], now: at(ms: 40))
        #expect(connector.traversal.drain() == [.probe(address: agents[2])])
    }

    @Test func invalidPunchesAreRefused() throws {
        var server = ServerTraversal(enabled: true, now: t0)
        let v6 = try address("2001:db8::2", 4000)
        server.setLocalCandidates([Candidate(address: try address("203.0.113.1", 5000), kind: .serverReflexive)], now: t0)
        server.punchMeNow(round: 1, pairedWith: 0, address: try address("198.51.100.2", 4000), now: t0)
        server.clientSupport(true, now: t0)
        _ = server.drain()
        // IPv6 address paired with an IPv4 candidate.
        server.punchMeNow(round: 1, pairedWith: 0, address: v6, now: t0)
        #expect(server.drain().isEmpty)
        #expect(server.status.counters.punchesInvalid == 2)
    }

    @Test func activePathChangesAreReported() throws {
        var connector = try ConnectorFixture()
        let agent = try address("198.51.100.2", 4000)
        connector.traversal.activePathChanged(direct: agent, now: at(ms: 100))
        #expect(connector.traversal.status.path == .direct(remote: agent, since: at(ms: 100)))
        connector.traversal.activePathChanged(direct: nil, now: at(ms: 200))
        #expect(connector.traversal.status.path == .relayed(.directPathFailed))
        #expect(connector.traversal.status.pathChanges == 2)
        #expect(connector.traversal.status.lastChange == at(ms: 200))
    }
}
