import NIOCore
import Testing
import ZTNASimulation

/// RFC 4787 §6 hairpinning, and NATs behind NATs (carrier-grade NAT in front of a home router).
@Suite struct HairpinAndNestedNATTests {
    /// Two hosts behind one full-cone NAT that both registered with a server, so each has a mapping.
    private func twoNeighbours(hairpinning: Bool) throws
        -> (net: SimulatedInternet, a: HostID, b: HostID, aExternal: SocketAddress, bExternal: SocketAddress) {
        var behaviour = NATBehaviour.fullCone
        behaviour.hairpinning = hairpinning
        var net = SimulatedInternet(seed: 3)
        let (_, inside) = try net.addNAT(behaviour, externalIP: "203.0.113.1", latency: .milliseconds(50))
        let a = try net.addHost(ip: "192.168.1.2", in: inside, latency: .milliseconds(1))
        let b = try net.addHost(ip: "192.168.1.3", in: inside, latency: .milliseconds(2))
        _ = try net.addHost(ip: "198.51.100.10", in: .internet, latency: .milliseconds(1))
        let server = try address("198.51.100.10", 3478)
        net.send(from: a, source: 1111, to: server, payload: bytes("a"), now: t0)
        net.send(from: b, source: 2222, to: server, payload: bytes("b"), now: t0)
        let seen = net.deliverDue(now: t0 + .seconds(1)).map(\.source)
        try #require(seen.count == 2)
        return (net, a, b, seen[0], seen[1])
    }

    @Test func hairpinningTurnsThePacketAroundWithTheExternalSource() throws {
        var (net, a, b, aExternal, bExternal) = try twoNeighbours(hairpinning: true)
        let sent = t0 + .seconds(2)
        net.send(from: a, source: 1111, to: bExternal, payload: bytes("hi neighbour"), now: sent)
        let got = net.deliverDue(now: sent + .seconds(1))
        #expect(got.count == 1)
        #expect(got.first?.host == b)
        // RFC 4787 §6 REQ-9: the source is A's external mapping, not its private address.
        #expect(got.first?.source == aExternal)
        #expect(got.first?.localAddress == net.address(of: b, port: 2222))
        // It never left the box: both access links (1 + 2 ms), not the 50 ms uplink.
        #expect(got.first?.time == sent + .milliseconds(3))
    }

    @Test func withoutHairpinningThePacketIsDropped() throws {
        var (net, a, _, _, bExternal) = try twoNeighbours(hairpinning: false)
        net.send(from: a, source: 1111, to: bExternal, payload: bytes("hi neighbour"), now: t0 + .seconds(2))
        #expect(net.deliverDue(now: t0 + .seconds(3)).isEmpty)
        #expect(net.drops == [.hairpinRefused: 1])
    }

    @Test func neighboursOnOneLANTalkDirectlyWithoutAMapping() throws {
        var net = SimulatedInternet(seed: 3)
        let (nat, inside) = try net.addNAT(.symmetric, externalIP: "203.0.113.1")
        let a = try net.addHost(ip: "192.168.1.2", in: inside, latency: .milliseconds(1))
        let b = try net.addHost(ip: "192.168.1.3", in: inside, latency: .milliseconds(2))
        net.send(from: a, source: 1111, to: net.address(of: b, port: 2222), payload: bytes("lan"), now: t0)
        let got = net.deliverDue(now: t0 + .seconds(1))
        #expect(got.map(\.host) == [b])
        #expect(got.first?.source == net.address(of: a, port: 1111))
        #expect(got.first?.time == t0 + .milliseconds(3))
        #expect(net.mappings(of: nat, now: t0 + .seconds(1)).isEmpty)
    }

    @Test func natBehindNATTranslatesTwice() throws {
        var net = SimulatedInternet(seed: 9)
        let (carrier, carrierRealm) = try net.addNAT(.symmetric, externalIP: "203.0.113.1",
                                                     latency: .milliseconds(3))
        let (home, homeRealm) = try net.addNAT(.portRestrictedCone, externalIP: "100.64.0.2", in: carrierRealm,
                                               latency: .milliseconds(2))
        let laptop = try net.addHost(ip: "192.168.1.2", in: homeRealm, latency: .milliseconds(5))
        let server = try net.addHost(ip: "198.51.100.10", in: .internet, latency: .milliseconds(10))
        let serverAddress = try address("198.51.100.10", 443)
        net.send(from: laptop, source: 50000, to: serverAddress, payload: bytes("hello"), now: t0)
        let arrived = net.deliverDue(now: t0 + .seconds(1))
        try #require(arrived.count == 1)
        #expect(arrived[0].time == t0 + .milliseconds(5 + 2 + 3 + 10))

        let homeMappings = net.mappings(of: home, now: t0 + .seconds(1))
        let carrierMappings = net.mappings(of: carrier, now: t0 + .seconds(1))
        try #require(homeMappings.count == 1 && carrierMappings.count == 1)
        // The home router preserved the port inside the carrier's realm …
        #expect(homeMappings[0].internalAddress == (try address("192.168.1.2", 50000)))
        #expect(homeMappings[0].externalAddress == (try address("100.64.0.2", 50000)))
        // … which the carrier translated again; the server sees only the second translation.
        #expect(carrierMappings[0].internalAddress == homeMappings[0].externalAddress)
        #expect(arrived[0].source == carrierMappings[0].externalAddress)
        #expect(arrived[0].source.ipAddress == "203.0.113.1")
        #expect(net.externalAddress(of: laptop, port: 50000, toward: serverAddress, now: t0 + .seconds(1))
                == arrived[0].source)

        // The reply is translated back through both boxes.
        net.send(from: server, source: 443, to: arrived[0].source, payload: bytes("welcome"), now: t0 + .seconds(1))
        let reply = net.deliverDue(now: t0 + .seconds(2))
        #expect(reply.map(\.host) == [laptop])
        #expect(reply.first?.source == serverAddress)
        #expect(reply.first?.localAddress == net.address(of: laptop, port: 50000))
        #expect(reply.first?.time == t0 + .seconds(1) + .milliseconds(20))
    }

    @Test func theCarrierRealmIsNotRoutedFromTheInternet() throws {
        var net = SimulatedInternet(seed: 9)
        let (_, carrierRealm) = try net.addNAT(.fullCone, externalIP: "203.0.113.1")
        _ = try net.addHost(ip: "100.64.0.7", in: carrierRealm, latency: .milliseconds(1))
        let outsider = try net.addHost(ip: "198.51.100.10", in: .internet, latency: .milliseconds(1))
        net.send(from: outsider, source: 9, to: try address("100.64.0.7", 9), payload: bytes("x"), now: t0)
        #expect(net.deliverDue(now: t0 + .seconds(1)).isEmpty)
        #expect(net.drops == [.noRoute: 1])
    }
}
