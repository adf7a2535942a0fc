import NIOCore
import Testing
import ZTNASimulation

/// UDP hole punching through a rendezvous server (RFC 4787 §4.1 explains why endpoint-independent mapping is
/// what makes it work): each peer registers with the server from its one socket, the server tells each the
/// other's server-reflexive address, both send at once, and each answers whatever source reached it
/// (a peer-reflexive candidate, as ICE does).
@Suite struct HolePunchTests {
    struct Punch {
        var net: SimulatedInternet
        let a: HostID
        let b: HostID
        let server: HostID
        let port = 4500
        /// What the server observed: each peer's server-reflexive address.
        var reflexiveA: SocketAddress
        var reflexiveB: SocketAddress
        var now = t0

        init(_ natA: NATBehaviour, _ natB: NATBehaviour, seed: UInt64 = 11) throws {
            net = SimulatedInternet(seed: seed)
            let (_, insideA) = try net.addNAT(natA, externalIP: "203.0.113.1", latency: .milliseconds(5))
            let (_, insideB) = try net.addNAT(natB, externalIP: "198.18.0.1", latency: .milliseconds(7))
            a = try net.addHost(ip: "192.168.1.2", in: insideA, latency: .milliseconds(2))
            b = try net.addHost(ip: "192.168.7.9", in: insideB, latency: .milliseconds(3))
            server = try net.addHost(ip: "198.51.100.10", in: .internet, latency: .milliseconds(10))
            let rendezvous = net.address(of: server, port: 3478)
            net.send(from: a, source: port, to: rendezvous, payload: bytes("register a"), now: now)
            net.send(from: b, source: port, to: rendezvous, payload: bytes("register b"), now: now)
            now = now + .seconds(1)
            let registrations = net.deliverDue(now: now)
            try #require(registrations.map(\.text) == ["register a", "register b"])
            reflexiveA = registrations[0].source
            reflexiveB = registrations[1].source
            // The server tells each peer about the other (through the mappings just made).
            net.send(from: server, source: 3478, to: reflexiveA, payload: bytes("peer b"), now: now)
            net.send(from: server, source: 3478, to: reflexiveB, payload: bytes("peer a"), now: now)
            now = now + .seconds(1)
            try #require(net.deliverDue(now: now).map(\.host) == [a, b])
        }

        /// A sends to `toB` and B to `toA`, with B starting `lag` later; returns what each received.
        mutating func exchange(toB: SocketAddress, toA: SocketAddress, lag: TimeAmount = .zero,
                               _ text: String) -> (atA: [Delivery], atB: [Delivery]) {
            net.send(from: a, source: port, to: toB, payload: bytes("\(text) from a"), now: now)
            net.send(from: b, source: port, to: toA, payload: bytes("\(text) from b"), now: now + lag)
            now = now + lag + .seconds(1)
            let got = net.deliverDue(now: now)
            return (got.filter { $0.host == a }, got.filter { $0.host == b })
        }

        /// The whole attempt: simultaneous punches to the reflexive addresses, then each side answers the source
        /// it heard the other from, then a final exchange on the learned addresses. True when both directions
        /// work.
        mutating func attempt() -> Bool {
            // heardA: where B last heard A from (where B must send); heardB likewise.
            var heardB = exchange(toB: reflexiveB, toA: reflexiveA, "punch").atA.last?.source
            var heardA = exchange(toB: reflexiveB, toA: reflexiveA, "punch again").atB.last?.source
            let (lateAtA, lateAtB) = exchange(toB: heardB ?? reflexiveB, toA: heardA ?? reflexiveA, "answer")
            heardB = lateAtA.last?.source ?? heardB
            heardA = lateAtB.last?.source ?? heardA
            guard let heardA, let heardB else { return false }
            let final = exchange(toB: heardB, toA: heardA, "data")
            return final.atA.count == 1 && final.atB.count == 1
        }
    }

    @Test func simultaneousSendsOpenTwoPortRestrictedCones() throws {
        var punch = try Punch(.portRestrictedCone, .portRestrictedCone)
        let (atA, atB) = punch.exchange(toB: punch.reflexiveB, toA: punch.reflexiveA, "punch")
        // Each NAT opened its filter (by sending) before the other side's punch reached it.
        #expect(atA.map(\.text) == ["punch from b"])
        #expect(atB.map(\.text) == ["punch from a"])
        #expect(atA.first?.source == punch.reflexiveB)
        #expect(atB.first?.source == punch.reflexiveA)
        #expect(punch.net.drops.isEmpty)
    }

    @Test func aPunchThatArrivesTooEarlyIsFilteredAndTheSecondGetsThrough() throws {
        var punch = try Punch(.portRestrictedCone, .portRestrictedCone)
        let first = punch.exchange(toB: punch.reflexiveB, toA: punch.reflexiveA, lag: .seconds(1), "punch")
        #expect(first.atB.isEmpty)
        #expect(first.atA.map(\.text) == ["punch from b"])
        #expect(punch.net.drops == [.filtered: 1])
        let second = punch.exchange(toB: punch.reflexiveB, toA: punch.reflexiveA, "data")
        #expect(second.atA.count == 1 && second.atB.count == 1)
    }

    @Test func symmetricToSymmetricNeverPunches() throws {
        var punch = try Punch(.symmetric, .symmetric)
        for round in 0..<3 {
            let (atA, atB) = punch.exchange(toB: punch.reflexiveB, toA: punch.reflexiveA, "punch \(round)")
            #expect(atA.isEmpty && atB.isEmpty)
        }
        // Every punch left on a fresh mapping the peer's filter had never seen.
        #expect(punch.net.drops == [.filtered: 6])
        let punched = punch.attempt()
        #expect(!punched)
    }

    // MARK: - The NAT-pair table

    struct Pair: Sendable, CustomTestStringConvertible {
        let a: String
        let b: String
        var testDescription: String { "\(a) ↔ \(b)" }
    }

    /// Which pairs of presets must punch (unordered), kept as data: with endpoint-independent mapping on both
    /// sides everything punches; a per-destination mapping on one side needs the other side's filter to admit
    /// the fresh port, i.e. endpoint-independent or address-dependent filtering.
    static let punches: Set<Set<String>> = [
        ["fullCone"], ["fullCone", "addressRestrictedCone"], ["fullCone", "portRestrictedCone"],
        ["fullCone", "addressDependentMapping"], ["fullCone", "symmetric"],
        ["addressRestrictedCone"], ["addressRestrictedCone", "portRestrictedCone"],
        ["addressRestrictedCone", "addressDependentMapping"], ["addressRestrictedCone", "symmetric"],
        ["portRestrictedCone"],
    ]

    static let allPairs = NATBehaviour.presets.flatMap { a in NATBehaviour.presets.map { Pair(a: a.name, b: $0.name) } }

    @Test(arguments: allPairs)
    func natPairTable(_ pair: Pair) throws {
        let behaviours = Dictionary(uniqueKeysWithValues: NATBehaviour.presets.map { ($0.name, $0.behaviour) })
        var punch = try Punch(try #require(behaviours[pair.a]), try #require(behaviours[pair.b]))
        let punched = punch.attempt()
        #expect(punched == Self.punches.contains([pair.a, pair.b]))
    }
}
