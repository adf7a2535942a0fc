import NATTraversal
import NIOCore
import Testing

// MARK: - Probing schedule in virtual time (DESIGN.md §6, draft-seemann-quic-nat-traversal-02 §6.3)

@Suite struct ClientScheduleTests {
    @Test func punchesArePacedAndProbesBackOffThenTheAttemptFails() throws {
        var agent = try AgentFixture()
        let (host, srflx, r0, r1) = (agent.host, agent.reflexive, agent.remotes[0], agent.remotes[1])
        var log = agent.traversal.drain().map { (ms: Int64(0), action: $0) }
        log += agent.traversal.run(until: at(ms: 30_000))
        let expected: [(Int64, ClientTraversalAction)] = [
            (0, .punch(round: 1, pairedWith: 0, local: host, remote: r0)),
            (20, .punch(round: 1, pairedWith: 1, local: host, remote: r1)),
            // Same remote as the first pair: PUNCH_ME_NOW for the other local address, one shared probe.
            (40, .punch(round: 1, pairedWith: 0, local: srflx, remote: r0)),
            (60, .punch(round: 1, pairedWith: 1, local: srflx, remote: r1)),
            (100, .reprobe(remote: r0)), (120, .reprobe(remote: r1)),
            (300, .reprobe(remote: r0)), (320, .reprobe(remote: r1)),
            (700, .reprobe(remote: r0)), (720, .reprobe(remote: r1)),
            (1500, .reprobe(remote: r0)), (1520, .reprobe(remote: r1)),
            (3100, .cancelProbe(remote: r0)), (3120, .cancelProbe(remote: r1)),
            (3120, .fallBack(reason: .probesUnanswered)),
        ]
        #expect(log.count == expected.count)
        for (got, want) in zip(log, expected) {
            #expect(got.ms == want.0 && got.action == want.1, "at \(got.ms) ms: \(got.action)")
        }
        let status = agent.traversal.status
        #expect(status.path == .relayed(.probesUnanswered))
        #expect(status.nextAttempt == at(ms: 3120 + 30_000))
        #expect(status.counters.probesStarted == 2)
        #expect(status.counters.probesRetransmitted == 8)
        #expect(status.counters.punchesSent == 4)
        #expect(status.counters.attemptsFailed == 1)
    }

    @Test func fiveTransmissionsPerPairOnTheConfiguredBackoff() throws {
        var configuration = TraversalConfiguration()
        configuration.initialRetransmitTimeout = .milliseconds(10)
        configuration.maximumRetransmitTimeout = .milliseconds(40)
        configuration.transmissionsPerPair = 4
        var agent = try AgentFixture(configuration: configuration, remoteCount: 1,
                                     locals: [Candidate(address: try address("10.0.0.2", 4000), kind: .host)])
        _ = agent.traversal.drain()
        let log = agent.traversal.run(until: at(ms: 1000))
        // 10, 20, 40 between transmissions, then 40 more before the probe fails.
        #expect(log.map(\.ms) == [10, 30, 70, 110, 110])
        #expect(log.last?.action == .fallBack(reason: .probesUnanswered))
    }

    @Test func roundsNeverCarryMorePunchesThanTheConcurrencyLimit() throws {
        var agent = try AgentFixture(concurrencyLimit: 2, remoteCount: 5,
                                     locals: [Candidate(address: try address("10.0.0.2", 4000), kind: .host)])
        var log = agent.traversal.drain().map { (ms: Int64(0), action: $0) }
        log += agent.traversal.run(until: at(ms: 9_999))
        var punchesPerRound: [UInt64: Int] = [:]
        var inFlight = Set<SocketAddress>()
        var maxInFlight = 0
        var punchTimes: [Int64] = []
        for entry in log {
            switch entry.action {
            case .punch(let round, _, _, let remote):
                punchesPerRound[round, default: 0] += 1
                inFlight.insert(remote)
                punchTimes.append(entry.ms)
            case .cancelProbe(let remote):
                inFlight.remove(remote)
            default:
                break
            }
            maxInFlight = max(maxInFlight, inFlight.count)
        }
        #expect(punchesPerRound == [1: 2, 2: 2, 3: 1])
        #expect(maxInFlight == 2)
        // A new round begins only when the previous one has nothing in flight: when its last probe failed
        // (the first at 3.1 s, the second 20 ms later).
        #expect(punchTimes == [0, 20, 3120, 3140, 6240])
    }

    @Test func theWholeAttemptIsBoundedByTenSeconds() throws {
        var agent = try AgentFixture(concurrencyLimit: 1, remoteCount: 6,
                                     locals: [Candidate(address: try address("10.0.0.2", 4000), kind: .host)])
        var log = agent.traversal.drain().map { (ms: Int64(0), action: $0) }
        log += agent.traversal.run(until: at(ms: 20_000))
        let punches = log.filter { if case .punch = $0.action { return true } else { return false } }
        #expect(punches.map(\.ms) == [0, 3100, 6200, 9300])
        #expect(punches.map { entry -> UInt64 in
            if case .punch(let round, _, _, _) = entry.action { return round } else { return 0 }
        } == [1, 2, 3, 4])
        let tail = log.filter { $0.ms == 10_000 }.map(\.action)
        #expect(tail == [.cancelProbe(remote: agent.remotes[3]), .fallBack(reason: .probesUnanswered)])
        #expect(agent.traversal.status.counters.probesCancelled == 1)
    }

    @Test func newLocalCandidatesStartAHigherRoundThatCancelsTheOldProbes() throws {
        var agent = try AgentFixture()
        _ = agent.traversal.drain()
        _ = agent.traversal.run(until: at(ms: 30))
        let newHost = try address("10.0.0.7", 4000)
        agent.traversal.setLocalCandidates([Candidate(address: newHost, kind: .host)], now: at(ms: 50))
        #expect(agent.traversal.drain() == [
            .cancelProbe(remote: agent.remotes[0]), .cancelProbe(remote: agent.remotes[1]),
            .punch(round: 2, pairedWith: 0, local: newHost, remote: agent.remotes[0]),
        ])
        let next = agent.traversal.run(until: at(ms: 70))
        #expect(next.map(\.ms) == [70])
        #expect(next.first?.action == .punch(round: 2, pairedWith: 1, local: newHost, remote: agent.remotes[1]))
    }

    @Test func aRemovedRemoteCandidateStopsBeingProbed() throws {
        var agent = try AgentFixture()
        _ = agent.traversal.drain()
        agent.traversal.remoteCandidateRemoved(sequence: 1, now: at(ms: 10))
        #expect(agent.traversal.drain().isEmpty)
        let log = agent.traversal.run(until: at(ms: 50))
        // Only pairs with the remaining remote are punched.
        #expect(log.map(\.action) == [.punch(round: 1, pairedWith: 0, local: agent.reflexive, remote: agent.remotes[0])])
        agent.traversal.remoteCandidateRemoved(sequence: 0, now: at(ms: 60))
        #expect(agent.traversal.drain() == [.cancelProbe(remote: agent.remotes[0]), .fallBack(reason: .probesUnanswered)])
        #expect(agent.traversal.status.path == .relayed(.noRemoteCandidates))
    }
}
