import IPPacket
import Testing
import ZTNAConfig
import ZTNAProtocol
@testable import ZTNARuntime

/// The connector's DATAGRAM policy on bytes alone (DESIGN.md §4).
@Suite("ConnectorDatagramRouter")
struct TunnelConnectorDatagramRouterTests {
    static let source = IPv4Address(10, 100, 0, 254)
    static let destination = IPv4Address(10, 100, 0, 1)

    private func router(icmp: Bool = true) throws -> ConnectorDatagramRouter {
        ConnectorDatagramRouter(service: ConnectorService(id: try tunnelServiceID("svc"), ports: [
            ServicePort(port: 7, protocol: .udp, backend: HostPort(host: "127.0.0.1", port: 9_999)),
            ServicePort(port: 80, protocol: .tcp, backend: HostPort(host: "127.0.0.1", port: 8_080)),
        ], icmp: icmp))
    }

    @Test func udpToAnOfferedPortGoesToItsBackendOnItsFlow() throws {
        let packet = IPPacketBuilder.udp(.v4(source: Self.source, destination: Self.destination), sourcePort: 50_000,
                                         destinationPort: 7, payload: [1, 2, 3])
        guard case .udp(let key, let payload, let backend) = try router().route(packet) else {
            Issue.record("not routed to UDP")
            return
        }
        #expect(key == UDPFlowKey(addresses: .v4(source: Self.source, destination: Self.destination),
                                  sourcePort: 50_000, destinationPort: 7))
        #expect(Array(payload) == [1, 2, 3])
        #expect(backend == HostPort(host: "127.0.0.1", port: 9_999))
    }

    /// A port offered as TCP only is not a UDP port.
    @Test func udpToATCPPortIsNotOffered() throws {
        let packet = IPPacketBuilder.udp(.v4(source: Self.source, destination: Self.destination), sourcePort: 1,
                                         destinationPort: 80, payload: [])
        guard case .drop(.portNotOffered) = try router().route(packet) else {
            Issue.record("not dropped as port_not_offered")
            return
        }
    }

    @Test func everyKindOfGarbageIsDroppedWithItsReason() throws {
        let router = try router()
        for (datagram, reason) in TunnelDatagramGarbage.all(source: Self.source, destination: Self.destination) {
            guard case .drop(let dropped) = router.route(datagram) else {
                Issue.record("\(reason) garbage was not dropped")
                continue
            }
            #expect(dropped == reason)
        }
    }

    @Test func echoRequestIsAnsweredWithAValidReplyOnlyWhenEnabled() throws {
        let request = IPPacketBuilder.icmpv4(source: Self.source, destination: Self.destination,
                                             message: .echoRequest(identifier: 3, sequence: 4), payload: [9, 8, 7])
        guard case .reply(let bytes) = try router().route(request) else {
            Issue.record("echo not answered")
            return
        }
        let reply = try IPPacket(parsing: bytes)
        #expect(reply.transport == .icmpv4(.echoReply(identifier: 3, sequence: 4)))
        #expect(reply.addresses == .v4(source: Self.destination, destination: Self.source))
        #expect(Array(reply.payload) == [9, 8, 7])

        guard case .drop(.icmpDisabled) = try router(icmp: false).route(request) else {
            Issue.record("echo not dropped with icmp off")
            return
        }
    }

    /// Replies are rebuilt from the flow's destination to its source, with valid checksums, in either family.
    @Test func replyPacketsReverseTheFlow() throws {
        let v4 = UDPFlowKey(addresses: .v4(source: Self.source, destination: Self.destination), sourcePort: 50_000,
                            destinationPort: 7)
        let reply = try IPPacket(parsing: try #require(v4.replyPacket(payload: [4, 5])))
        #expect(reply.addresses == .v4(source: Self.destination, destination: Self.source))
        guard case .udp(let header) = reply.transport else {
            Issue.record("not UDP")
            return
        }
        #expect(header.sourcePort == 7)
        #expect(header.destinationPort == 50_000)
        #expect(Array(reply.payload) == [4, 5])

        let agent = IPv6Address(high: 0xFD00_0000_0000_0000, low: 0xFFFE)
        let virtual = IPv6Address(high: 0xFD00_0000_0000_0000, low: 0x2)
        let v6 = UDPFlowKey(addresses: .v6(source: agent, destination: virtual), sourcePort: 1_234, destinationPort: 53)
        let reply6 = try IPPacket(parsing: try #require(v6.replyPacket(payload: [1])))
        #expect(reply6.addresses == .v6(source: virtual, destination: agent))

        // An IPv4 packet holds at most 65 535 bytes: a larger reply is refused, never a trap.
        #expect(v4.replyPacket(payload: [UInt8](repeating: 0, count: 65_535 - 28)) != nil)
        #expect(v4.replyPacket(payload: [UInt8](repeating: 0, count: 65_535 - 27)) == nil)
    }
}
