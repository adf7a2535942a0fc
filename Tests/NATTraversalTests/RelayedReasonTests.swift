import NATTraversal
import NIOCore
import Testing

// MARK: - Every reason is reachable and explained

@Suite struct RelayedReasonTests {
    @Test func rawValuesAreStableAndExplained() {
        #expect(RelayedReason.allCases.map(\.rawValue) == [
            "negotiating", "disabled-locally", "disabled-by-peer", "peer-lacks-support", "no-local-candidates",
            "no-remote-candidates", "no-candidate-pairs", "attempting", "probes-unanswered",
            "mapping-varies-by-destination", "direct-path-failed",
        ])
        #expect(RelayedReason.allCases.allSatisfy { !$0.explanation.isEmpty && $0.explanation.hasSuffix(".") })
    }

    @Test func eachReasonIsReachableOnTheAgent() throws {
        var seen = Set<RelayedReason>()
        func record(_ traversal: ClientTraversal) {
            if let reason = traversal.status.path.relayedReason { seen.insert(reason) }
        }
        let host = Candidate(address: try address("10.0.0.2", 4000), kind: .host)
        let remote = try address("203.0.113.1", 5000)

        let disabled = ClientTraversal(enabled: false, now: t0)
        #expect(disabled.status.path == .relayed(.disabledLocally))
        record(disabled)

        var client = ClientTraversal(enabled: true, now: t0)
        #expect(client.status.path == .relayed(.negotiating))
        record(client)
        client.peerDisabled(now: t0)
        #expect(client.status.path == .relayed(.peerLacksSupport))
        record(client)

        client = ClientTraversal(enabled: true, now: t0)
        client.peerDisabled(byConfiguration: true, now: t0)
        #expect(client.status.path == .relayed(.disabledByPeer))
        record(client)

        client = ClientTraversal(enabled: true, now: t0)
        client.peerSupport(concurrencyLimit: 4, now: t0)
        #expect(client.status.path == .relayed(.noLocalCandidates))
        record(client)
        client.setLocalCandidates([host], now: t0)
        #expect(client.status.path == .relayed(.noRemoteCandidates))
        record(client)
        client.remoteCandidateAdded(sequence: 0, address: try address("2001:db8::1", 5000), now: t0)
        #expect(client.status.path == .relayed(.noCandidatePairs))
        record(client)
        client.remoteCandidateAdded(sequence: 1, address: remote, now: t0)
        #expect(client.status.path == .relayed(.attempting))
        record(client)
        _ = client.run(until: at(ms: 20_000))
        #expect(client.status.path == .relayed(.probesUnanswered))
        record(client)

        // Two relays saw different ports for our one socket.
        client = ClientTraversal(enabled: true, now: t0)
        client.peerSupport(concurrencyLimit: 4, now: t0)
        client.setLocalCandidates([
            host, Candidate(address: try address("198.51.100.2", 40_000), kind: .serverReflexive),
            Candidate(address: try address("198.51.100.2", 40_001), kind: .serverReflexive),
        ], now: t0)
        client.remoteCandidateAdded(sequence: 0, address: remote, now: t0)
        #expect(client.status.mappingVariesByDestination)
        let log = client.run(until: at(ms: 20_000))
        #expect(log.last?.action == .fallBack(reason: .mappingVariesByDestination))
        record(client)

        var direct = try directAgent()
        _ = direct.traversal.run(until: at(ms: 70_000))  // 3 keepalives unanswered: failed at 61 s
        #expect(direct.traversal.status.path == .relayed(.directPathFailed))
        record(direct.traversal)

        #expect(seen == Set(RelayedReason.allCases))
    }

    @Test func peerWithdrawingSupportWhileDirectFallsBack() throws {
        var agent = try directAgent()
        agent.traversal.peerDisabled(byConfiguration: true, now: at(ms: 2000))
        #expect(agent.traversal.drain() == [.fallBack(reason: .disabledByPeer)])
        #expect(agent.traversal.status.lastChange == at(ms: 2000))
    }
}
