import NIOCore
import Testing
import ZTNASimulation

/// Links, time, loss, cuts, drop accounting and ordering of the simulated internet.
@Suite struct InternetDeliveryTests {
    @Test func oneWayDelayIsTheSumOfTheLinksCrossed() throws {
        var net = SimulatedInternet(seed: 1)
        let a = try net.addHost(ip: "198.51.100.1", in: .internet, latency: .milliseconds(7))
        let b = try net.addHost(ip: "198.51.100.2", in: .internet, latency: .milliseconds(11))
        net.send(from: a, source: 1000, to: net.address(of: b, port: 2000), payload: bytes("x"), now: t0)
        // The first piece of work is the datagram reaching the internet's switch after A's link.
        #expect(net.nextDeliveryTime() == t0 + .milliseconds(7))
        #expect(net.deliverDue(now: t0 + .milliseconds(7)).isEmpty)
        #expect(net.nextDeliveryTime() == t0 + .milliseconds(18))
        #expect(net.deliverDue(now: t0 + .milliseconds(18) - .nanoseconds(1)).isEmpty)
        let got = net.deliverDue(now: t0 + .milliseconds(18))
        #expect(got == [Delivery(host: b, localAddress: net.address(of: b, port: 2000),
                                 source: net.address(of: a, port: 1000), payload: bytes("x"),
                                 time: t0 + .milliseconds(18))])
        #expect(net.nextDeliveryTime() == nil)
        #expect(net.deliveredCount == 1)
    }

    @Test func theDelayThroughANATIncludesItsUplink() throws {
        var net = SimulatedInternet(seed: 1)
        let (_, inside) = try net.addNAT(.fullCone, externalIP: "203.0.113.1", latency: .milliseconds(4))
        let client = try net.addHost(ip: "10.0.0.2", in: inside, latency: .milliseconds(6))
        let server = try net.addHost(ip: "198.51.100.2", in: .internet, latency: .milliseconds(15))
        net.send(from: client, source: 1, to: net.address(of: server, port: 2), payload: bytes("x"), now: t0)
        #expect(net.deliverDue(now: t0 + .seconds(1)).map(\.time) == [t0 + .milliseconds(25)])
    }

    @Test func deliveriesComeInTimeOrderWithTiesInSendOrder() throws {
        var net = SimulatedInternet(seed: 1)
        let (_, inside) = try net.addNAT(.fullCone, externalIP: "203.0.113.1", latency: .milliseconds(5))
        let slow = try net.addHost(ip: "10.0.0.2", in: inside, latency: .milliseconds(5))
        let fast = try net.addHost(ip: "198.51.100.1", in: .internet, latency: .milliseconds(1))
        let medium = try net.addHost(ip: "198.51.100.3", in: .internet, latency: .milliseconds(9))
        let sink = try net.addHost(ip: "198.51.100.2", in: .internet, latency: .milliseconds(1))
        let to = net.address(of: sink, port: 9)
        net.send(from: slow, source: 1, to: to, payload: bytes("slow, sent first, arrives at 11"), now: t0)
        net.send(from: medium, source: 1, to: to, payload: bytes("medium, ties at 11"), now: t0 + .milliseconds(1))
        net.send(from: fast, source: 1, to: to, payload: bytes("fast, arrives at 4"), now: t0 + .milliseconds(2))
        net.send(from: fast, source: 2, to: to, payload: bytes("fast again, ties at 11"), now: t0 + .milliseconds(9))
        let got = net.deliverDue(now: t0 + .seconds(1))
        #expect(got.map(\.text) == ["fast, arrives at 4", "slow, sent first, arrives at 11", "medium, ties at 11",
                                    "fast again, ties at 11"])
        #expect(got.map(\.time) == [t0 + .milliseconds(4)] + Array(repeating: t0 + .milliseconds(11), count: 3))
    }

    /// Sends 1 000 datagrams over a lossy link; returns which arrived.
    private func lossyRun(seed: UInt64) throws -> (arrived: [Int], drops: [DropReason: Int]) {
        var net = SimulatedInternet(seed: seed)
        let a = try net.addHost(ip: "198.51.100.1", in: .internet, latency: .milliseconds(1), lossRate: 0.3)
        let b = try net.addHost(ip: "198.51.100.2", in: .internet, latency: .milliseconds(1))
        for i in 0..<1000 {
            net.send(from: a, source: 1, to: net.address(of: b, port: 2), payload: bytes("\(i)"),
                     now: t0 + .milliseconds(Int64(i)))
        }
        return (net.deliverDue(now: t0 + .seconds(5)).compactMap { Int($0.text) }, net.drops)
    }

    @Test func lossIsSeededAndReproducible() throws {
        let first = try lossyRun(seed: 42)
        let again = try lossyRun(seed: 42)
        let other = try lossyRun(seed: 43)
        #expect(first.arrived == again.arrived)
        #expect(first.arrived != other.arrived)
        #expect(first.drops == [.loss: 1000 - first.arrived.count])
        #expect((600...800).contains(first.arrived.count))  // 30 % loss, give or take
        #expect(first.arrived == first.arrived.sorted())
    }

    @Test func lossAppliesToTheReceivingLinkToo() throws {
        var net = SimulatedInternet(seed: 5)
        let a = try net.addHost(ip: "198.51.100.1", in: .internet, latency: .milliseconds(1))
        let b = try net.addHost(ip: "198.51.100.2", in: .internet, latency: .milliseconds(1), lossRate: 1)
        net.send(from: a, source: 1, to: net.address(of: b, port: 2), payload: bytes("x"), now: t0)
        net.send(from: b, source: 2, to: net.address(of: a, port: 1), payload: bytes("y"), now: t0)
        #expect(net.deliverDue(now: t0 + .seconds(1)).isEmpty)
        #expect(net.drops == [.loss: 2])
    }

    @Test func aCutKillsTheDirectPathButNotThePathsToTheRelay() throws {
        var net = SimulatedInternet(seed: 2)
        let (_, insideA) = try net.addNAT(.fullCone, externalIP: "203.0.113.1")
        let (_, insideB) = try net.addNAT(.fullCone, externalIP: "203.0.113.2")
        let a = try net.addHost(ip: "10.0.0.2", in: insideA, latency: .milliseconds(1))
        let b = try net.addHost(ip: "10.0.0.2", in: insideB, latency: .milliseconds(1))
        let relay = try net.addHost(ip: "198.51.100.9", in: .internet, latency: .milliseconds(1))
        let relayAddress = net.address(of: relay, port: 443)
        net.send(from: a, source: 7, to: relayAddress, payload: bytes("a"), now: t0)
        net.send(from: b, source: 7, to: relayAddress, payload: bytes("b"), now: t0)
        let seen = net.deliverDue(now: t0 + .seconds(1)).map(\.source)
        try #require(seen.count == 2)

        net.cut(between: b, and: a)
        var now = t0 + .seconds(1)
        net.send(from: a, source: 7, to: seen[1], payload: bytes("a→b"), now: now)
        net.send(from: b, source: 7, to: seen[0], payload: bytes("b→a"), now: now)
        net.send(from: a, source: 7, to: relayAddress, payload: bytes("a→relay"), now: now)
        net.send(from: relay, source: 443, to: seen[1], payload: bytes("relay→b"), now: now)
        now = now + .seconds(1)
        #expect(net.deliverDue(now: now).map(\.text) == ["a→relay", "relay→b"])
        #expect(net.drops == [.cut: 2])

        net.heal(between: a, and: b)
        net.send(from: a, source: 7, to: seen[1], payload: bytes("a→b"), now: now)
        #expect(net.deliverDue(now: now + .seconds(1)).map(\.host) == [b])
    }

    @Test func aCutHostNeitherSendsNorReceives() throws {
        var net = SimulatedInternet(seed: 2)
        let a = try net.addHost(ip: "198.51.100.1", in: .internet, latency: .milliseconds(1))
        let b = try net.addHost(ip: "198.51.100.2", in: .internet, latency: .milliseconds(1))
        net.send(from: a, source: 1, to: net.address(of: b, port: 2), payload: bytes("in flight"), now: t0)
        net.cutHost(b)
        net.send(from: b, source: 2, to: net.address(of: a, port: 1), payload: bytes("from b"), now: t0)
        #expect(net.deliverDue(now: t0 + .seconds(1)).isEmpty)
        #expect(net.drops == [.cut: 2])
        net.healHost(b)
        net.send(from: b, source: 2, to: net.address(of: a, port: 1), payload: bytes("back"), now: t0 + .seconds(1))
        #expect(net.deliverDue(now: t0 + .seconds(2)).map(\.text) == ["back"])
    }

    @Test func everyDropIsCountedByReason() throws {
        var lab = try NATLab(.portRestrictedCone)
        let externalSent = lab.clientSends(to: lab.serverAddress)
        let external = try #require(externalSent)
        let now = t0 + .seconds(1)
        let server = lab.server
        let send = { (net: inout SimulatedInternet, to: SocketAddress) in
            net.send(from: server, source: 5000, to: to, payload: bytes("x"), now: now)
        }
        try send(&lab.net, address("10.1.2.3", 1))            // private: noRoute
        try send(&lab.net, address("2001:db8::99", 1))        // nobody there: noRoute
        try send(&lab.net, address("203.0.113.1", 1))         // no mapping on that port
        lab.net.send(from: lab.third, source: 1, to: external, payload: bytes("x"), now: now)  // filtered
        lab.net.send(from: lab.client, source: lab.clientPort, to: try address("2001:db8::1", 1),
                     payload: bytes("x"), now: now)            // NAT44 cannot carry IPv6: noRoute
        #expect(lab.net.deliverDue(now: now + .seconds(1)).isEmpty)
        #expect(lab.net.drops == [.noRoute: 3, .noMapping: 1, .filtered: 1])
        #expect(lab.net.totalDrops == 5)
    }

    @Test func ipv6HostsOnTheInternetTalkDirectly() throws {
        var net = SimulatedInternet(seed: 1)
        let a = try net.addHost(ip: "2001:db8::1", in: .internet, latency: .milliseconds(2))
        let b = try net.addHost(ip: "2001:0db8:0:0::2", in: .internet, latency: .milliseconds(3))
        net.send(from: a, source: 443, to: try address("2001:db8::2", 8443), payload: bytes("v6"), now: t0)
        let got = net.deliverDue(now: t0 + .seconds(1))
        #expect(got.map(\.host) == [b])
        #expect(got.first?.source == (try address("2001:db8::1", 443)))
        #expect(got.first?.time == t0 + .milliseconds(5))
    }

    @Test func topologyMistakesThrowTypedErrors() throws {
        var net = SimulatedInternet(seed: 1)
        let (_, inside) = try net.addNAT(.fullCone, externalIP: "203.0.113.1")
        _ = try net.addHost(ip: "10.0.0.2", in: inside, latency: .zero)
        let cases: [(SimulatedInternetError.Code, (inout SimulatedInternet) throws -> Void)] = [
            (.duplicateAddress, { _ = try $0.addHost(ip: "10.0.0.2", in: inside, latency: .zero) }),
            (.duplicateAddress, { _ = try $0.addHost(ip: "203.0.113.1", in: .internet, latency: .zero) }),
            (.invalidAddress, { _ = try $0.addHost(ip: "example.com", in: .internet, latency: .zero) }),
            (.natNeedsIPv4, { _ = try $0.addNAT(.fullCone, externalIP: "2001:db8::1") }),
            (.invalidLink, { _ = try $0.addHost(ip: "10.0.0.3", in: inside, latency: .zero, lossRate: 2) }),
        ]
        for (code, build) in cases {
            #expect { try build(&net) } throws: { ($0 as? SimulatedInternetError)?.code == code }
        }
        // The same address is fine in another realm.
        let (_, otherInside) = try net.addNAT(.fullCone, externalIP: "203.0.113.2")
        _ = try net.addHost(ip: "10.0.0.2", in: otherInside, latency: .zero)
    }
}
