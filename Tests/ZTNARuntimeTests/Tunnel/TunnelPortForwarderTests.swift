import IPPacket
import Logging
import NIOCore
import NIOPosix
import QUICNIO
import Testing
import ZTNAConfig
import ZTNAProtocol
@testable import ZTNARuntime

/// `PortForwarder` on its own: configuration checks, and what a local client sees when there is no tunnel.
@Suite("Tunnel PortForwarder", .timeLimit(.minutes(1)))
struct TunnelPortForwarderTests {
    /// An opener for a service whose tunnel cannot be opened (no connector, relay unreachable, …).
    struct FailingOpener: TunnelOpener {
        struct NoTunnel: Error {}
        func tunnel(for service: ServiceID) async throws -> QUICNIOConnection { throw NoTunnel() }
    }

    private func forwarder(_ transport: TransportProtocol = .tcp, forwardService: String = "svc",
                           virtualIP: String = "10.100.0.1", tunnelAddress: IPAddress? = nil,
                           counters: TunnelCounters = TunnelCounters()) throws -> PortForwarder {
        let forward = ForwardConfig(listen: HostPort(host: "127.0.0.1", port: 0),
                                    service: try tunnelServiceID(forwardService), port: 80, protocol: transport)
        let service = AgentService(id: try tunnelServiceID("svc"), virtualIP: try tunnelRequireLiteral(virtualIP))
        return PortForwarder(forward: forward, service: service, tunnelAddress: tunnelAddress, opener: FailingOpener(),
                             counters: counters, logger: TunnelHarness.logger,
                             group: MultiThreadedEventLoopGroup.singleton)
    }

    @Test func defaultTunnelAddressFollowsTheVirtualIPFamily() throws {
        #expect(try forwarder().tunnelAddress == .v4(IPv4Address(10, 100, 0, 254)))
        #expect(try forwarder(virtualIP: "fd00::2").tunnelAddress
                == .v6(IPv6Address(high: 0xFD00_0000_0000_0000, low: 0xFFFE)))
    }

    @Test func startRefusesInconsistentConfigurations() async throws {
        await #expect(throws: PortForwarderError.self) { _ = try await forwarder(forwardService: "other").start() }
        await #expect(throws: PortForwarderError.self) {
            _ = try await forwarder(tunnelAddress: .v6(IPv6Address(high: 0xFD00_0000_0000_0000, low: 1))).start()
        }
        let started = try forwarder()
        _ = try await started.start()
        await #expect(throws: PortForwarderError.alreadyStarted) { _ = try await started.start() }
        await started.close()
        await #expect(throws: PortForwarderError.alreadyStarted) { _ = try await started.start() }
    }

    /// No tunnel: the local TCP connection is reset, the UDP datagram dropped; both counted.
    @Test func withoutATunnelConnectionsAreResetAndDatagramsDropped() async throws {
        let counters = TunnelCounters()
        let tcp = try forwarder(counters: counters)
        let tcpAddress = try await tcp.start()
        let (bytes, end) = try await TunnelTestTCPClient.connectAndReadToEnd(tcpAddress)
        #expect(bytes.isEmpty)
        #expect(end == .reset)
        try await tunnelWaitUntil("the failure was counted") { counters.drops(.noTunnel) == 1 }

        let udp = try forwarder(.udp, counters: counters)
        let udpAddress = try await udp.start()
        let client = try await TunnelTestUDPClient.bind()
        try await client.send([1, 2], to: udpAddress)
        try await tunnelWaitUntil("the datagram was dropped") { counters.drops(.noTunnel) == 2 }
        #expect(counters.udpFlowsLive == 1)   // the flow exists; only the tunnel is missing

        await client.close()
        await tcp.close()
        await udp.close()
        #expect(counters.udpFlowsLive == 0)
    }
}
