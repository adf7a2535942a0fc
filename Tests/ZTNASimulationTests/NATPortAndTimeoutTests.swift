import NIOCore
import Testing
import ZTNASimulation

/// RFC 4787 §4.2.1 port assignment and §4.3 mapping refresh and timeout.
@Suite struct NATPortAndTimeoutTests {
    // MARK: - §4.2.1 port assignment

    @Test func preservationKeepsTheInternalPortWhenFreeElseTakesTheNextFree() throws {
        var net = SimulatedInternet(seed: 1)
        let (nat, inside) = try net.addNAT(.portRestrictedCone, externalIP: "203.0.113.1")
        let a = try net.addHost(ip: "192.168.1.2", in: inside, latency: .milliseconds(1))
        let b = try net.addHost(ip: "192.168.1.3", in: inside, latency: .milliseconds(1))
        let server = try address("198.51.100.10", 3478)
        _ = try net.addHost(ip: "198.51.100.10", in: .internet, latency: .milliseconds(1))
        net.send(from: a, source: 40000, to: server, payload: bytes("a"), now: t0)
        net.send(from: b, source: 40000, to: server, payload: bytes("b"), now: t0)
        let sources = net.deliverDue(now: t0 + .seconds(1)).map(\.source)
        #expect(sources == [try address("203.0.113.1", 40000), try address("203.0.113.1", 40001)])
        #expect(net.mappings(of: nat, now: t0 + .seconds(1)).map(\.internalAddress)
                == [try address("192.168.1.2", 40000), try address("192.168.1.3", 40000)])
    }

    /// The first external port the symmetric preset picks for one datagram, with `seed`.
    private func firstRandomPort(seed: UInt64) throws -> Int {
        var lab = try NATLab(.symmetric, seed: seed)
        let sent = lab.clientSends(to: lab.serverAddress)
        return try #require(sent?.port)
    }

    @Test func randomPortsAreSeededAndInTheUnprivilegedRange() throws {
        let ports = try (1...8).map { try firstRandomPort(seed: $0) }
        #expect(ports.allSatisfy { (1024...65535).contains($0) })
        #expect(!ports.contains(40000))
        #expect(Set(ports).count == ports.count)
        #expect(try firstRandomPort(seed: 3) == ports[2])
    }

    @Test func anExhaustedPoolDropsNewMappingsUntilOneExpires() throws {
        var behaviour = NATBehaviour.portRestrictedCone
        behaviour.externalPorts = 2000...2001
        var lab = try NATLab(behaviour)
        let first = lab.clientSends(to: lab.serverAddress, "1")
        #expect(first?.port == 2000)  // 40000 is outside the pool: the pool's first free port
        lab.net.send(from: lab.server, source: 1, to: try address("192.168.1.2", 1), payload: bytes("x"), now: t0)
        let sender2 = try lab.net.addHost(ip: "192.168.1.3", in: lab.inside, latency: .milliseconds(10))
        let sender3 = try lab.net.addHost(ip: "192.168.1.4", in: lab.inside, latency: .milliseconds(10))
        lab.net.send(from: sender2, source: 5, to: lab.serverAddress, payload: bytes("2"), now: t0 + .seconds(1))
        lab.net.send(from: sender3, source: 5, to: lab.serverAddress, payload: bytes("3"), now: t0 + .seconds(1))
        #expect(lab.net.deliverDue(now: t0 + .seconds(2)).map(\.text) == ["2"])
        #expect(lab.net.drops[.portsExhausted] == 1)
        #expect(lab.net.drops[.noRoute] == 1)  // the private address is not routed on the internet
        // Once the first mapping times out (30 s after t0 + 10 ms), its port is free again.
        lab.net.send(from: sender3, source: 5, to: lab.serverAddress, payload: bytes("3"), now: t0 + .seconds(31))
        let late = lab.net.deliverDue(now: t0 + .seconds(32))
        #expect(late.map(\.source) == [try address("203.0.113.1", 2000)])
    }

    // MARK: - §4.3 refresh and timeout

    @Test func aMappingExpiresExactlyTimeoutAfterTheLastOutboundPacket() throws {
        var behaviour = NATBehaviour.portRestrictedCone
        behaviour.refreshOnInbound = false
        var lab = try NATLab(behaviour)
        let externalSent = lab.clientSends(to: lab.serverAddress)
        let external = try #require(externalSent)
        // The NAT saw the packet at t0 + 10 ms (the client's access link).
        let mapping = try #require(lab.net.mappings(of: lab.nat, now: t0 + .seconds(1)).first)
        #expect(mapping.expiry == t0 + .milliseconds(10) + .seconds(30))
        // The server's packets reach the NAT 10 ms after they are sent.
        let justInTime = t0 + .seconds(30) - .nanoseconds(1)
        #expect(lab.sendToClient(from: lab.server, to: external, "in time", at: justInTime).count == 1)
        #expect(lab.sendToClient(from: lab.server, to: external, "late", at: t0 + .seconds(30)).isEmpty)
        #expect(lab.net.drops == [.mappingExpired: 1])
        #expect(lab.net.mappings(of: lab.nat, now: t0 + .seconds(31)).isEmpty)
        // Next time the dead mapping is simply gone.
        #expect(lab.sendToClient(from: lab.server, to: external, "later", at: t0 + .seconds(32)).isEmpty)
        #expect(lab.net.drops == [.mappingExpired: 1, .noMapping: 1])
    }

    @Test func outboundTrafficAlwaysRefreshes() throws {
        var behaviour = NATBehaviour.portRestrictedCone
        behaviour.refreshOnInbound = false
        var lab = try NATLab(behaviour)
        let externalSent = lab.clientSends(to: lab.serverAddress)
        let external = try #require(externalSent)
        let again = lab.clientSends(to: lab.serverAddress, "keepalive", at: t0 + .seconds(20))
        #expect(again == external)
        #expect(lab.net.mappings(of: lab.nat, now: t0 + .seconds(21)).first?.expiry
                == t0 + .seconds(20) + .milliseconds(10) + .seconds(30))
        #expect(lab.sendToClient(from: lab.server, to: external, at: t0 + .seconds(45)).count == 1)
        #expect(lab.net.totalDrops == 0)
    }

    @Test(arguments: [true, false])
    func inboundTrafficRefreshesOnlyWhenConfigured(refreshOnInbound: Bool) throws {
        var behaviour = NATBehaviour.portRestrictedCone
        behaviour.refreshOnInbound = refreshOnInbound
        var lab = try NATLab(behaviour)
        let externalSent = lab.clientSends(to: lab.serverAddress)
        let external = try #require(externalSent)
        #expect(lab.sendToClient(from: lab.server, to: external, "ping", at: t0 + .seconds(20)).count == 1)
        let late = lab.sendToClient(from: lab.server, to: external, "pong", at: t0 + .seconds(45))
        #expect(late.count == (refreshOnInbound ? 1 : 0))
        #expect(lab.net.drops[.mappingExpired, default: 0] == (refreshOnInbound ? 0 : 1))
    }

    @Test func aFilteredPacketDoesNotRefresh() throws {
        var lab = try NATLab(.portRestrictedCone)
        let externalSent = lab.clientSends(to: lab.serverAddress)
        let external = try #require(externalSent)
        #expect(lab.sendToClient(from: lab.third, to: external, "stranger", at: t0 + .seconds(20)).isEmpty)
        #expect(lab.sendToClient(from: lab.server, to: external, "late", at: t0 + .seconds(45)).isEmpty)
        #expect(lab.net.drops == [.filtered: 1, .mappingExpired: 1])
    }

    @Test func anExpiredSymmetricMappingComesBackOnANewPort() throws {
        var lab = try NATLab(.symmetric)
        let before = lab.clientSends(to: lab.serverAddress)
        let after = lab.clientSends(to: lab.serverAddress, "again", at: t0 + .seconds(60))
        #expect(before != nil && after != nil)
        #expect(before != after)
        #expect(lab.net.mappings(of: lab.nat, now: t0 + .seconds(61)).map(\.externalAddress) == [after])
    }
}
