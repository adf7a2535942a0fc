import IPPacket
import NIOCore
import QUICCore
import QUICNIO
import Testing
import ZTNAConfig
import ZTNAProtocol
@testable import ZTNARuntime

/// Raw tunnel DATAGRAMs at a running `ConnectorTunnel` (DESIGN.md §4): ICMP echo is answered by the connector,
/// everything it does not carry is dropped and counted by reason, and the tunnel keeps working.
@Suite("ConnectorTunnel DATAGRAMs", .timeLimit(.minutes(1)))
struct ConnectorTunnelDatagramTests {
    static let agentAddress = IPv4Address(10, 100, 0, 254)
    static let virtualIP = IPv4Address(10, 100, 0, 1)

    private static func echoRequest(identifier: UInt16 = 0x1234, sequence: UInt16 = 7) -> [UInt8] {
        IPPacketBuilder.icmpv4(source: agentAddress, destination: virtualIP,
                               message: .echoRequest(identifier: identifier, sequence: sequence),
                               payload: tunnelTestBytes(count: 56))
    }

    @Test func icmpv4EchoIsAnswered() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: 0)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        var replies = tunnel.agent.datagrams.makeAsyncIterator()

        try await tunnel.agent.send(datagram: Self.echoRequest())
        let reply = try IPPacket(parsing: try #require(await replies.next()))   // checksums verified
        #expect(reply.transport == .icmpv4(.echoReply(identifier: 0x1234, sequence: 7)))
        #expect(reply.addresses == .v4(source: Self.virtualIP, destination: Self.agentAddress))
        #expect(Array(reply.payload) == tunnelTestBytes(count: 56))
        #expect(tunnel.connectorCounters.icmpEchoesAnswered == 1)

        await tunnel.stop()
        await backend.close()
    }

    @Test func icmpv6EchoIsAnswered() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: 0)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        var replies = tunnel.agent.datagrams.makeAsyncIterator()
        let agent = IPv6Address(high: 0xFD00_0000_0000_0000, low: 0xFFFE)
        let virtual = IPv6Address(high: 0xFD00_0000_0000_0000, low: 0x1)

        try await tunnel.agent.send(datagram: IPPacketBuilder.icmpv6(
            source: agent, destination: virtual, message: .echoRequest(identifier: 9, sequence: 1),
            payload: [1, 2, 3, 4]))
        let reply = try IPPacket(parsing: try #require(await replies.next()))
        #expect(reply.transport == .icmpv6(.echoReply(identifier: 9, sequence: 1)))
        #expect(reply.addresses == .v6(source: virtual, destination: agent))
        #expect(Array(reply.payload) == [1, 2, 3, 4])

        await tunnel.stop()
        await backend.close()
    }

    /// With `icmp: false` the echo is dropped and counted: the next thing back is the reply to a later UDP
    /// datagram (the connector handles DATAGRAMs in order, so an echo reply would have come first).
    @Test func icmpDisabledDropsAndCounts() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: nil)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend, icmp: false))
        var replies = tunnel.agent.datagrams.makeAsyncIterator()

        try await tunnel.agent.send(datagram: Self.echoRequest())
        try await tunnelWaitUntil("the echo was dropped") { tunnel.connectorCounters.drops(.icmpDisabled) == 1 }
        try await tunnel.agent.send(datagram: IPPacketBuilder.udp(
            .v4(source: Self.agentAddress, destination: Self.virtualIP), sourcePort: 40_000, destinationPort: 7,
            payload: [5, 6, 7]))
        let reply = try IPPacket(parsing: try #require(await replies.next()))
        #expect(reply.transport == .udp(UDPHeader(sourcePort: 7, destinationPort: 40_000, length: 11,
                                                  checksum: reply.tunnelTestUDPChecksum)))
        #expect(Array(reply.payload) == [5, 6, 7])
        #expect(tunnel.connectorCounters.icmpEchoesAnswered == 0)

        await tunnel.stop()
        await backend.close()
    }

    /// Garbage of every kind is dropped and counted by reason; an echo sent after it is still answered.
    @Test func garbageIsDroppedAndCountedAndTheTunnelKeepsWorking() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: nil)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        var replies = tunnel.agent.datagrams.makeAsyncIterator()

        let garbage = TunnelDatagramGarbage.all(source: Self.agentAddress, destination: Self.virtualIP)
        for (datagram, _) in garbage { try await tunnel.agent.send(datagram: datagram) }
        try await tunnel.agent.send(datagram: Self.echoRequest(sequence: 99))

        let reply = try IPPacket(parsing: try #require(await replies.next()))
        #expect(reply.transport == .icmpv4(.echoReply(identifier: 0x1234, sequence: 99)))
        // DATAGRAMs are handled in order: by the time the echo was answered every piece of garbage was counted.
        var expected: [TunnelDropReason: UInt64] = [:]
        for (_, reason) in garbage { expected[reason, default: 0] += 1 }
        for reason in TunnelDropReason.allCases {
            #expect(tunnel.connectorCounters.drops(reason) == expected[reason, default: 0], "\(reason)")
        }
        #expect(tunnel.connectorCounters.udpFlowsCreated == 0)

        await tunnel.stop()
        await backend.close()
    }
}

extension IPPacket {
    /// The UDP checksum as received (for comparing whole headers).
    var tunnelTestUDPChecksum: UInt16 {
        guard case .udp(let header) = transport else { return 0 }
        return header.checksum
    }
}
