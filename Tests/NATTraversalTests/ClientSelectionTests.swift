import NATTraversal
import NIOCore
import Testing

// MARK: - First success migrates; better pairs within the round; peer-reflexive

@Suite struct ClientSelectionTests {
    @Test func firstValidatedPairMigratesAtOnceAndABetterOneOnlyPastTheMargin() throws {
        var agent = try AgentFixture(remoteCount: 3)
        agent.traversal.relayedRTT(.milliseconds(5))
        _ = agent.traversal.drain()
        _ = agent.traversal.run(until: at(ms: 20))
        // Slower than the relay, still replaces it: the relay is only a backup tier.
        agent.traversal.probeSucceeded(remote: agent.remotes[0], rtt: .milliseconds(30), now: at(ms: 25))
        #expect(agent.traversal.drain() == [.migrate(to: agent.remotes[0])])
        #expect(agent.traversal.status.path == .direct(remote: agent.remotes[0], since: at(ms: 25)))
        // 4 ms better than 30 ms: below max(5 ms, 10 %).
        agent.traversal.probeSucceeded(remote: agent.remotes[1], rtt: .milliseconds(26), now: at(ms: 30))
        #expect(agent.traversal.drain().isEmpty)
        // The round goes on after the first success: the third remote is still punched.
        let more = agent.traversal.run(until: at(ms: 50))
        #expect(more.map(\.action) == [.punch(round: 1, pairedWith: 2, local: agent.host, remote: agent.remotes[2])])
        agent.traversal.probeSucceeded(remote: agent.remotes[2], rtt: .milliseconds(25), now: at(ms: 70))
        #expect(agent.traversal.drain() == [.migrate(to: agent.remotes[2])])
        let status = agent.traversal.status
        #expect(status.counters.migrations == 2)
        #expect(status.pathChanges == 2)
        #expect(status.directRTT == .milliseconds(25))
    }

    @Test func probingStopsAShortWhileAfterTheFirstSuccess() throws {
        var agent = try AgentFixture(concurrencyLimit: 2, remoteCount: 4,
                                     locals: [Candidate(address: try address("10.0.0.2", 4000), kind: .host)])
        _ = agent.traversal.drain()
        _ = agent.traversal.run(until: at(ms: 20))
        agent.traversal.probeSucceeded(remote: agent.remotes[0], rtt: .milliseconds(10), now: at(ms: 30))
        #expect(agent.traversal.drain() == [.migrate(to: agent.remotes[0])])
        let log = agent.traversal.run(until: at(ms: 5_000))
        // No new round after a success; the remaining probe is cancelled when the grace second ends.
        #expect(!log.contains { if case .punch = $0.action { return true } else { return false } })
        #expect(log.last?.ms == 1030)
        #expect(log.last?.action == .cancelProbe(remote: agent.remotes[1]))
        #expect(agent.traversal.status.counters.attemptsSucceeded == 1)
        #expect(!log.contains { if case .fallBack = $0.action { return true } else { return false } })
    }

    @Test func aPeerReflexiveAddressIsProbedWithoutPunching() throws {
        var agent = try AgentFixture(remoteCount: 1)
        _ = agent.traversal.drain()
        // The connector's NAT maps per destination: its probe arrives from a port it never advertised.
        let reflexive = try address("203.0.113.1", 61_000)
        agent.traversal.peerReflexiveObserved(remote: reflexive, now: at(ms: 10))
        let log = agent.traversal.run(until: at(ms: 30))
        // Peer-reflexive (110) outranks the advertised candidates (treated as server-reflexive, 100).
        #expect(log.map(\.action) == [.probe(remote: reflexive)])
        #expect(log.map(\.ms) == [20])
        agent.traversal.probeSucceeded(remote: reflexive, rtt: .milliseconds(12), now: at(ms: 35))
        #expect(agent.traversal.drain() == [.migrate(to: reflexive)])
        #expect(agent.traversal.status.counters.peerReflexiveObserved == 1)
    }

    @Test func lateOrUnknownProbeResultsAreCountedNotTrusted() throws {
        var agent = try AgentFixture(remoteCount: 1)
        _ = agent.traversal.drain()
        agent.traversal.probeSucceeded(remote: try address("192.0.2.99", 1), rtt: .milliseconds(1), now: at(ms: 5))
        agent.traversal.probeFailed(remote: try address("192.0.2.99", 1), now: at(ms: 6))
        #expect(agent.traversal.drain().isEmpty)
        #expect(agent.traversal.status.counters.unexpectedProbeResults == 2)
        #expect(!agent.traversal.status.path.isDirect)
    }
}
