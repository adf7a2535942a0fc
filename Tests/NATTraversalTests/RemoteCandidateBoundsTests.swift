import NATTraversal
import NIOCore
import Testing

// MARK: - Peer input is bounded and never traps

@Suite struct RemoteCandidateBoundsTests {
    @Test func remoteCandidatesAreCappedAndRefusalsCounted() throws {
        var client = ClientTraversal(enabled: true, now: t0)
        client.peerSupport(concurrencyLimit: Int.max, now: t0)
        client.setLocalCandidates([Candidate(address: try address("10.0.0.2", 4000), kind: .host)], now: t0)
        for index in 0..<100 {
            let remote = try address("203.0.\(113 + index / 200).\(index % 200 + 1)", 5000)
            client.remoteCandidateAdded(sequence: UInt64.max - UInt64(index), address: remote, now: t0)
        }
        #expect(client.status.counters.remoteCandidatesRefused == 68)
        // A peer-reflexive candidate counts against the same cap.
        client.peerReflexiveObserved(remote: try address("192.0.2.77", 1), now: t0)
        #expect(client.status.counters.remoteCandidatesRefused == 69)
        // The concurrency limit is capped by our own configuration (8), whatever the peer says.
        let log = client.drain().map { (ms: Int64(0), action: $0) } + client.run(until: at(ms: 3000))
        let punches = log.filter { if case .punch = $0.action { return true } else { return false } }
        #expect(punches.count == TraversalConfiguration().concurrencyLimit)
        #expect(punches.count == 8)
    }

    @Test func withdrawnAndReusedSequencesAreIgnored() throws {
        var client = ClientTraversal(enabled: true, now: t0)
        client.peerSupport(concurrencyLimit: 0, now: t0)  // an invalid limit means no support
        #expect(client.status.path == .relayed(.peerLacksSupport))
        client = ClientTraversal(enabled: true, now: t0)
        client.peerSupport(concurrencyLimit: 1, now: t0)
        let a = try address("203.0.113.1", 5000)
        let b = try address("203.0.113.2", 5000)
        // REMOVE_ADDRESS overtook its ADD_ADDRESS: the late ADD must not resurrect it.
        client.remoteCandidateRemoved(sequence: 3, now: t0)
        client.remoteCandidateAdded(sequence: 3, address: a, now: t0)
        client.remoteCandidateAdded(sequence: 4, address: a, now: t0)
        client.remoteCandidateAdded(sequence: 4, address: a, now: t0)  // retransmission: harmless
        client.remoteCandidateAdded(sequence: 4, address: b, now: t0)  // reuse for another address
        client.remoteCandidateAdded(sequence: 5, address: try SocketAddress(unixDomainSocketPath: "/tmp/x"), now: t0)
        #expect(client.status.counters.remoteCandidatesStale == 4)
        client.setLocalCandidates([Candidate(address: try address("10.0.0.2", 4000), kind: .host)], now: t0)
        #expect(client.drain() == [.punch(round: 1, pairedWith: 4, local: try address("10.0.0.2", 4000), remote: a)])
    }
}
