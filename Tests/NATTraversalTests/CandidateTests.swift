import NATTraversal
import NIOCore
import Testing

// MARK: - RFC 8445 §5.1.2 and §6.1.2.3 priorities

@Suite struct CandidateTests {
    @Test func candidatePrioritiesFollowRFC8445Formula() throws {
        let v4 = try address("192.0.2.1", 1)
        let v6 = try address("2001:db8::1", 1)
        // 2^24·type + 2^8·65535 + (256 − 1)
        #expect(Candidate(address: v4, kind: .host).priority == 2_130_706_431)
        #expect(Candidate(address: v4, kind: .peerReflexive).priority == 1_862_270_975)
        #expect(Candidate(address: v4, kind: .serverReflexive).priority == 1_694_498_815)
        // IPv6 uses the same local preference (documented choice).
        #expect(Candidate(address: v6, kind: .host).priority == 2_130_706_431)
        #expect(Candidate.priority(kind: .host, localPreference: 65535, component: 2) == 2_130_706_430)
        #expect(Candidate.priority(kind: .serverReflexive, localPreference: 0, component: 1) == 1_677_721_855)
        // Out-of-range inputs are clamped, never overflow.
        #expect(Candidate.priority(kind: .host, localPreference: .max, component: 0) == 2_130_706_431)
    }

    @Test func pairPriorityFollowsRFC8445WithAgentControlling() {
        let host: UInt32 = 2_130_706_431
        let reflexive: UInt32 = 1_694_498_815
        #expect(CandidatePair.priority(controlling: host, controlled: reflexive) == 7_277_816_997_797_167_103)
        #expect(CandidatePair.priority(controlling: reflexive, controlled: host) == 7_277_816_997_797_167_102)
        #expect(CandidatePair.priority(controlling: reflexive, controlled: reflexive) == 7_277_816_996_924_751_870)
        #expect(CandidatePair.priority(controlling: .max, controlled: .max) == .max)  // saturates, never traps
    }

    @Test func pairsFormWithinOneFamilyInStablePriorityOrder() throws {
        let host4 = Candidate(address: try address("10.0.0.2", 4000), kind: .host)
        let srflx4 = Candidate(address: try address("198.51.100.2", 4000), kind: .serverReflexive)
        let host6 = Candidate(address: try address("2001:db8::2", 4000), kind: .host)
        let r0 = Candidate(address: try address("203.0.113.1", 5000), kind: .serverReflexive)
        let r1 = Candidate(address: try address("2001:db8::9", 5000), kind: .serverReflexive)
        let r2 = Candidate(address: try address("203.0.113.2", 5000), kind: .serverReflexive)
        let pairs = CandidatePair.form(locals: [srflx4, host4, host6],
                                       remotes: [(r0, 0), (r1, 1), (r2, 2)])
        let order = pairs.map { [$0.local.address, $0.remote.address] }
        #expect(order == [
            [host4.address, r0.address], [host4.address, r2.address], [host6.address, r1.address],
            [srflx4.address, r0.address], [srflx4.address, r2.address],
        ])
        #expect(pairs.map(\.remoteSequence) == [0, 2, 1, 0, 2])
        #expect(zip(pairs, pairs.dropFirst()).allSatisfy { $0.priority >= $1.priority })
    }

    @Test func mappingCheckFlagsDifferentPortsForOneSocket() throws {
        let a = Candidate(address: try address("198.51.100.2", 4000), kind: .serverReflexive)
        let b = Candidate(address: try address("198.51.100.2", 4001), kind: .serverReflexive)
        let sameAgain = Candidate(address: try address("198.51.100.2", 4000), kind: .serverReflexive)
        let otherIP = Candidate(address: try address("198.51.100.3", 4000), kind: .serverReflexive)
        let v6 = Candidate(address: try address("2001:db8::2", 4001), kind: .serverReflexive)
        #expect(!MappingCheck.variesByDestination([a, sameAgain, otherIP, v6]))
        #expect(MappingCheck.variesByDestination([a, b]))
        // A different base is a different socket: its ports are not comparable.
        var otherSocket = b
        otherSocket.base = try address("10.0.0.2", 4001)
        #expect(!MappingCheck.variesByDestination([a, otherSocket]))
    }
}
