import IPPacket
import NIOCore
import QUICNIO
import Testing
import ZTNAConfig
import ZTNAProtocol
@testable import ZTNARuntime

/// UDP through a `PortForwarder` and a `ConnectorTunnel` (DESIGN.md §4: UDP rides in DATAGRAM frames as whole
/// IP packets; the connector keeps one backend socket per flow and expires idle flows).
@Suite("Tunnel UDP forwarding", .timeLimit(.minutes(1)))
struct TunnelUDPForwardTests {
    /// Sends `count` datagrams one at a time, each answered before the next (loss-free on loopback), and
    /// returns the replies.
    private func exchange(_ client: TunnelTestUDPClient, with target: SocketAddress, count: Int,
                          seed: Int) async throws -> (sent: [[UInt8]], received: [[UInt8]]) {
        var sent: [[UInt8]] = []
        var received: [[UInt8]] = []
        for index in 0..<count {
            let datagram = tunnelTestBytes(count: 1 + (index * 97) % 1_100, seed: seed + index)
            sent.append(datagram)
            try await client.send(datagram, to: target)
            guard let reply = await client.nextReply() else { break }
            received.append(reply)
        }
        return (sent, received)
    }

    /// Two local clients, each its own flow (own tunnel port, own backend socket): each gets exactly its own
    /// datagrams back, byte-exact.
    @Test func datagramsAreEchoedAndClientsKeptApart() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: nil)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        let (forwarder, local) = try await tunnel.forwarder(port: 7, protocol: .udp)
        let pump = tunnel.pumpDatagrams(to: [forwarder])
        let first = try await TunnelTestUDPClient.bind()
        let second = try await TunnelTestUDPClient.bind()

        async let one = exchange(first, with: local, count: 40, seed: 1_000)
        async let two = exchange(second, with: local, count: 40, seed: 2_000)
        let (a, b) = try await (one, two)
        #expect(a.received == a.sent)
        #expect(b.received == b.sent)
        #expect(Set(a.received).isDisjoint(with: Set(b.received)))
        #expect(tunnel.agentCounters.udpFlowsCreated == 2)
        #expect(tunnel.connectorCounters.udpFlowsCreated == 2)
        #expect(tunnel.connectorCounters.udpFlowsLive == 2)
        #expect(tunnel.connector.liveFlowCount == 2)
        let bytes = UInt64((a.sent + b.sent).map(\.count).reduce(0, +))
        #expect(tunnel.agentCounters.bytesUp == bytes)
        #expect(tunnel.agentCounters.bytesDown == bytes)
        #expect(tunnel.connectorCounters.bytesUp == bytes)
        #expect(tunnel.connectorCounters.bytesDown == bytes)
        #expect(tunnel.agentCounters.drops(.noFlow) == 0)

        await first.close()
        await second.close()
        await forwarder.close()
        #expect(tunnel.agentCounters.udpFlowsLive == 0)
        await tunnel.stop()
        #expect(tunnel.connectorCounters.udpFlowsLive == 0)
        pump.cancel()
        await backend.close()
    }

    /// An IPv6 virtual IP: the agent sends IPv6/UDP from its IPv6 tunnel address, the connector answers in kind.
    @Test func ipv6VirtualIPWorks() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: nil)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        let (forwarder, local) = try await tunnel.forwarder(port: 7, protocol: .udp, virtualIP: "fd00::1")
        let pump = tunnel.pumpDatagrams(to: [forwarder])
        let client = try await TunnelTestUDPClient.bind()

        let exchanged = try await exchange(client, with: local, count: 5, seed: 6)
        #expect(exchanged.received == exchanged.sent)
        #expect(forwarder.tunnelAddress == .v6(IPv6Address(high: 0xFD00_0000_0000_0000, low: 0xFFFE)))

        await client.close()
        await forwarder.close()
        await tunnel.stop()
        pump.cancel()
        await backend.close()
    }

    /// Idle flows expire at both ends; the next datagram opens a new flow.
    @Test func idleFlowsExpireAndReopen() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: nil)
        var limits = TunnelLimits()
        limits.udpFlowIdleTimeout = .seconds(1)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend), limits: limits)
        let (forwarder, local) = try await tunnel.forwarder(port: 7, protocol: .udp, limits: limits)
        let pump = tunnel.pumpDatagrams(to: [forwarder])
        let client = try await TunnelTestUDPClient.bind()

        // A flow may expire while its first datagram is on its way (a loaded machine, a 1 s timeout): resend
        // until the echo comes; only the flow counts are asserted.
        try await roundTrip(client, [1, 2, 3], to: local)
        try await tunnelWaitUntil("both ends expired the flow") {
            tunnel.connectorCounters.udpFlowsLive == 0 && tunnel.agentCounters.udpFlowsLive == 0
        }
        #expect(tunnel.connector.liveFlowCount == 0)
        let createdBefore = (tunnel.agentCounters.udpFlowsCreated, tunnel.connectorCounters.udpFlowsCreated)

        try await roundTrip(client, [4, 5, 6], to: local)
        #expect(tunnel.agentCounters.udpFlowsCreated > createdBefore.0)
        #expect(tunnel.connectorCounters.udpFlowsCreated > createdBefore.1)
        // At least the new flow (a resend on a starved machine may have opened a second one).
        #expect(tunnel.connectorCounters.udpFlowsLive >= 1)

        await client.close()
        await forwarder.close()
        await tunnel.stop()
        pump.cancel()
        await backend.close()
    }

    /// Sends `datagram` until it comes back (every 2 s of silence, at most 5 times); other replies are skipped.
    private func roundTrip(_ client: TunnelTestUDPClient, _ datagram: [UInt8], to target: SocketAddress) async throws {
        for _ in 0..<5 {
            try await client.send(datagram, to: target)
            while let reply = await client.nextReply(within: .seconds(2)) {
                if reply == datagram { return }
            }
        }
        throw TunnelTestError.timedOut("echo of \(datagram)")
    }

    /// Above `maxFlowsPerTunnel` the connector drops new flows' packets and counts them; existing flows work.
    @Test func flowsAboveTheLimitAreDroppedAndCounted() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: nil)
        var limits = TunnelLimits()
        limits.maxFlowsPerTunnel = 1
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend), limits: limits)
        let (forwarder, local) = try await tunnel.forwarder(port: 7, protocol: .udp)
        let pump = tunnel.pumpDatagrams(to: [forwarder])
        let first = try await TunnelTestUDPClient.bind()
        let second = try await TunnelTestUDPClient.bind()

        let exchanged = try await exchange(first, with: local, count: 2, seed: 3)
        #expect(exchanged.received == exchanged.sent)
        try await second.send([1, 2, 3], to: local)
        try await tunnelWaitUntil("the second flow was refused") { tunnel.connectorCounters.drops(.flowLimit) == 1 }
        let again = try await exchange(first, with: local, count: 2, seed: 4)
        #expect(again.received == again.sent)
        #expect(tunnel.connectorCounters.udpFlowsCreated == 1)

        await first.close()
        await second.close()
        await forwarder.close()
        await tunnel.stop()
        pump.cancel()
        await backend.close()
    }

    /// Datagrams larger than the tunnel can carry (`maxDatagramPayload`) are dropped and counted at the end
    /// that would send them: the agent for a local client's, the connector for a backend's reply.
    @Test func oversizeDatagramsAreDroppedAndCountedAtEitherEnd() async throws {
        // Each datagram is answered twice: with 3 000 bytes (more than a tunnel DATAGRAM holds on a 1 200-byte
        // QUIC path), then with itself.
        let backend = try await TunnelTestUDPReplier.start { [[UInt8](repeating: 0xAB, count: 3_000), $0] }
        let service = ConnectorService(id: try tunnelServiceID("app"), ports: [
            ServicePort(port: 7, protocol: .udp, backend: HostPort(host: "127.0.0.1", port: backend.port)),
        ])
        let tunnel = try await TunnelHarness.start(service: service)
        let (forwarder, local) = try await tunnel.forwarder(port: 7, protocol: .udp)
        let pump = tunnel.pumpDatagrams(to: [forwarder])
        let client = try await TunnelTestUDPClient.bind()

        try await client.send([UInt8](repeating: 1, count: 3_000), to: local)
        try await tunnelWaitUntil("the agent dropped the large datagram") { tunnel.agentCounters.drops(.oversize) == 1 }
        try await client.send([1, 2, 3], to: local)
        // The large reply was handled (dropped) before the small one was sent.
        #expect(await client.nextReply() == [1, 2, 3])
        #expect(tunnel.connectorCounters.drops(.oversize) == 1)

        await client.close()
        await forwarder.close()
        await tunnel.stop()
        pump.cancel()
        await backend.close()
    }

    /// `deliver(ipPacket:)` claims only replies of its own flows: garbage, another port's packets, and packets
    /// to a tunnel port it has no flow on are left to other forwarders.
    @Test func deliverClaimsOnlyRepliesOfItsOwnFlows() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: nil)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        let (forwarder, local) = try await tunnel.forwarder(port: 7, protocol: .udp)
        let client = try await TunnelTestUDPClient.bind()
        try await client.send([1], to: local)
        var datagrams = tunnel.agent.datagrams.makeAsyncIterator()
        let reply = try #require(await datagrams.next())   // the echo, not yet delivered
        let parsed = try IPPacket(parsing: reply)
        guard case .udp(let header) = parsed.transport else {
            Issue.record("not UDP")
            return
        }
        let virtualIP = IPv4Address(10, 100, 0, 1)
        let agentIP = IPv4Address(10, 100, 0, 254)
        let pair = IPAddressPair.v4(source: virtualIP, destination: agentIP)
        #expect(forwarder.deliver(ipPacket: [0x45, 0, 1]) == false)
        #expect(forwarder.deliver(ipPacket: IPPacketBuilder.udp(pair, sourcePort: 8, destinationPort: header.destinationPort,
                                                                payload: [1])) == false)
        #expect(forwarder.deliver(ipPacket: IPPacketBuilder.udp(pair, sourcePort: 7, destinationPort: header.destinationPort &+ 1,
                                                                payload: [1])) == false)
        #expect(forwarder.deliver(ipPacket: reply) == true)
        #expect(await client.nextReply() == [1])

        await client.close()
        await forwarder.close()
        await tunnel.stop()
        await backend.close()
    }

    /// A backend name that does not resolve: the flow's datagrams are dropped and counted, and the flow goes.
    @Test func unresolvableUDPBackendDropsAndCounts() async throws {
        let service = ConnectorService(id: try tunnelServiceID("app"), ports: [
            ServicePort(port: 53, protocol: .udp, backend: HostPort(host: "nonexistent.invalid", port: 53)),
        ])
        let tunnel = try await TunnelHarness.start(service: service)
        let (forwarder, local) = try await tunnel.forwarder(port: 53, protocol: .udp)
        let client = try await TunnelTestUDPClient.bind()
        try await client.send([1], to: local)
        try await tunnelWaitUntil("the datagram was dropped") { tunnel.connectorCounters.drops(.backendUnreachable) >= 1 }
        try await tunnelWaitUntil("the flow ended") { tunnel.connectorCounters.udpFlowsLive == 0 }
        #expect(tunnel.connectorCounters.udpFlowsCreated == 1)

        await client.close()
        await forwarder.close()
        await tunnel.stop()
    }
}
