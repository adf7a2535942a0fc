import NATTraversal
import NIOCore
import Testing

// MARK: - Liveness and recovery (DESIGN.md §6)

/// An agent that went direct to `remotes[0]` at 1 s.
func directAgent(configuration: TraversalConfiguration = .init()) throws -> AgentFixture {
    var agent = try AgentFixture(configuration: configuration, remoteCount: 1,
                                 locals: [Candidate(address: try address("10.0.0.2", 4000), kind: .host)])
    _ = agent.traversal.drain()
    agent.traversal.probeSucceeded(remote: agent.remotes[0], rtt: .milliseconds(20), now: at(ms: 1000))
    #expect(agent.traversal.drain() == [.migrate(to: agent.remotes[0])])
    return agent
}

@Suite struct ClientLivenessTests {
    @Test func unacknowledgedTrafficFailsTheDirectPathAfterClampedThreePTOs() throws {
        for (pto, expectedFailure) in [(Int64(200), Int64(3000)), (500, 3500), (2000, 5000)] {
            var agent = try directAgent()
            // Data sent at 2 s is never acknowledged; clamp(3 × PTO, 1 s, 3 s) later the path has failed.
            let health = PathHealth(unacknowledgedSince: at(ms: 2000), lastAckElicitingSent: at(ms: 2000),
                                    lastReceived: at(ms: 1500), probeTimeout: .milliseconds(pto),
                                    smoothedRTT: .milliseconds(20))
            agent.traversal.pathHealth(health, now: at(ms: 2000))
            #expect(agent.traversal.nextDeadline == at(ms: expectedFailure))
            let log = agent.traversal.run(until: at(ms: 10_000))
            #expect(log.first?.ms == expectedFailure)
            #expect(log.first?.action == .fallBack(reason: .directPathFailed))
            #expect(agent.traversal.status.path == .relayed(.directPathFailed))
            #expect(agent.traversal.status.nextAttempt == at(ms: expectedFailure + 30_000))
        }
    }

    @Test func acknowledgedTrafficKeepsThePath() throws {
        var agent = try directAgent()
        agent.traversal.pathHealth(PathHealth(unacknowledgedSince: at(ms: 2000), lastAckElicitingSent: at(ms: 2000),
                                              probeTimeout: .milliseconds(200), smoothedRTT: .milliseconds(20)),
                                   now: at(ms: 2000))
        agent.traversal.pathHealth(PathHealth(unacknowledgedSince: nil, lastAckElicitingSent: at(ms: 2000),
                                              lastReceived: at(ms: 2020), probeTimeout: .milliseconds(200),
                                              smoothedRTT: .milliseconds(20)), now: at(ms: 2020))
        // Nothing but the keepalive 15 s after the last send.
        #expect(agent.traversal.nextDeadline == at(ms: 17_000))
        #expect(agent.traversal.status.path.isDirect)
    }

    @Test func idlePathGetsKeepalivesAndThreeUnansweredOnesFailIt() throws {
        var agent = try directAgent()
        var log = agent.traversal.run(until: at(ms: 16_000))
        #expect(log.map(\.ms) == [16_000])
        #expect(log.map(\.action) == [.keepalive])
        // The PING is answered: the counter of unanswered keepalives starts over.
        agent.traversal.pathHealth(PathHealth(unacknowledgedSince: nil, lastAckElicitingSent: at(ms: 16_000),
                                              lastReceived: at(ms: 16_020), probeTimeout: .milliseconds(200),
                                              smoothedRTT: .milliseconds(20)), now: at(ms: 16_020))
        log = agent.traversal.run(until: at(ms: 31_000))
        #expect(log.map(\.action) == [.keepalive])
        // From now on nothing arrives. The outstanding PING is the oldest unacknowledged packet: that is
        // the keepalive rule's business, not the 3-PTO traffic rule's.
        agent.traversal.pathHealth(PathHealth(unacknowledgedSince: at(ms: 31_000), lastAckElicitingSent: at(ms: 31_000),
                                              lastReceived: at(ms: 16_020), probeTimeout: .milliseconds(200),
                                              smoothedRTT: .milliseconds(20)), now: at(ms: 31_000))
        log = agent.traversal.run(until: at(ms: 80_000))
        #expect(log.map(\.ms) == [46_000, 61_000, 76_000])
        #expect(log.map(\.action) == [.keepalive, .keepalive, .fallBack(reason: .directPathFailed)])
        #expect(agent.traversal.status.counters.keepalivesSent == 4)
        #expect(agent.traversal.status.counters.directPathFailures == 1)
    }

    @Test func retriesBackOffFromThirtySecondsToFiveMinutes() throws {
        var agent = try AgentFixture(concurrencyLimit: 1, remoteCount: 1,
                                     locals: [Candidate(address: try address("10.0.0.2", 4000), kind: .host)])
        var log = agent.traversal.drain().map { (ms: Int64(0), action: $0) }
        log += agent.traversal.run(until: at(ms: 2_000_000))
        let punches = log.filter { if case .punch = $0.action { return true } else { return false } }.map(\.ms)
        let fallbacks = log.filter { $0.action == .fallBack(reason: .probesUnanswered) }.map(\.ms)
        let waits = zip(fallbacks, punches.dropFirst()).map { ($1 - $0) / 1000 }
        #expect(Array(waits.prefix(7)) == [30, 60, 120, 240, 300, 300, 300])
        #expect(zip(punches, fallbacks).allSatisfy { $1 - $0 == 3100 })
    }

    @Test func candidateChangesRetryAtOnce() throws {
        var agent = try AgentFixture(remoteCount: 1,
                                     locals: [Candidate(address: try address("10.0.0.2", 4000), kind: .host)])
        _ = agent.traversal.drain()
        _ = agent.traversal.run(until: at(ms: 4000))
        #expect(agent.traversal.status.nextAttempt == at(ms: 33_100))
        // A new remote candidate: no waiting for the backoff.
        let newRemote = try address("203.0.113.50", 5000)
        agent.traversal.remoteCandidateAdded(sequence: 7, address: newRemote, now: at(ms: 5000))
        let actions = agent.traversal.drain()
        #expect(actions.first == .punch(round: 2, pairedWith: 0, local: agent.host, remote: agent.remotes[0]))
        #expect(agent.traversal.status.path == .relayed(.attempting))
        #expect(agent.traversal.status.attempts == 2)
        // The same local candidates again are not a change.
        var other = try AgentFixture(remoteCount: 1,
                                     locals: [Candidate(address: try address("10.0.0.2", 4000), kind: .host)])
        _ = other.traversal.drain()
        _ = other.traversal.run(until: at(ms: 4000))
        other.traversal.setLocalCandidates([Candidate(address: other.host, kind: .host)], now: at(ms: 5000))
        #expect(other.traversal.drain().isEmpty)
        other.traversal.setLocalCandidates([Candidate(address: try address("10.0.0.3", 4000), kind: .host)],
                                           now: at(ms: 6000))
        #expect(other.traversal.drain().count == 1)
    }
}
