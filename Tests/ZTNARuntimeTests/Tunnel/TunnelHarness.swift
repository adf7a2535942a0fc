import Foundation
import IPPacket
import Logging
import NIOCore
import NIOPosix
import QUICCore
import QUICNIO
import QUICTLS
import ZTNAConfig
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// A direct loopback tunnel (DESIGN.md §4): an agent QUIC client and a connector QUIC server with mTLS from a
/// throwaway PKI and ALPN `ztna-tunnel-v1`, and a `ConnectorTunnel` running on the accepted connection.
struct TunnelHarness {
    let deployment: ThrowawayDeployment
    let server: QUICServer
    /// The agent's end of the tunnel.
    let agent: QUICNIOConnection
    let connector: ConnectorTunnel
    /// Returns when the connector's `run()` does.
    let connectorRun: Task<Void, Never>
    let connectorCounters: TunnelCounters
    let agentCounters: TunnelCounters
    let service: ConnectorService

    static let logger: Logger = {
        var logger = Logger(label: "tunnel-test")
        logger.logLevel = .warning
        return logger
    }()

    /// The default test service: TCP port 80 and UDP port 7 to `backend`'s echo (those it runs), ICMP
    /// answered.
    static func echoService(_ backend: EchoBackend, icmp: Bool = true) throws -> ConnectorService {
        var ports: [ServicePort] = []
        if let tcp = backend.tcpAddress?.port {
            ports.append(ServicePort(port: 80, protocol: .tcp, backend: HostPort(host: "127.0.0.1", port: UInt16(tcp))))
        }
        if let udp = backend.udpAddress?.port {
            ports.append(ServicePort(port: 7, protocol: .udp, backend: HostPort(host: "127.0.0.1", port: UInt16(udp))))
        }
        return ConnectorService(id: try tunnelServiceID("echo"), ports: ports, icmp: icmp)
    }

    /// Starts the pair and the connector's tunnel.
    static func start(service: ConnectorService, limits: TunnelLimits = TunnelLimits(),
                      configureServer: (inout QUICConfiguration) -> Void = { _ in },
                      configureClient: (inout QUICConfiguration) -> Void = { _ in }) async throws -> TunnelHarness {
        let deployment = try ThrowawayDeployment.create()
        do {
            let connectorFiles = try deployment.issue(.connector, name: "connector-1", services: .services([service.id]))
            let agentFiles = try deployment.issue(.agent, name: "agent-1", services: .services([service.id]))

            var serverTLS = TLSConfiguration(role: .server, alpn: [ZTNAALPN.tunnel])
            serverTLS.certificateChainFile = connectorFiles.certificate
            serverTLS.privateKeyFile = connectorFiles.privateKey
            serverTLS.trustRootsFile = deployment.caCertificate
            serverTLS.clientAuthentication = .required
            var serverConfiguration = QUICConfiguration(tls: try TLSContext(configuration: serverTLS))
            configureServer(&serverConfiguration)
            let server = try await QUICServer.bind(host: "127.0.0.1", port: 0,
                                                   configuration: QUICEndpointConfiguration(server: serverConfiguration),
                                                   logger: logger)

            var clientTLS = TLSConfiguration(role: .client, alpn: [ZTNAALPN.tunnel])
            clientTLS.certificateChainFile = agentFiles.certificate
            clientTLS.privateKeyFile = agentFiles.privateKey
            clientTLS.trustRootsFile = deployment.caCertificate
            // The connector's certificate names `connector.<svc>.ztna`, not the SNI; the control plane checks
            // the grant itself.
            clientTLS.verifyHostname = false
            var clientConfiguration = QUICConfiguration(tls: try TLSContext(configuration: clientTLS))
            configureClient(&clientConfiguration)

            async let accepted = server.connections.first { _ in true }
            let agent = try await QUICClient.connect(to: server.localAddress,
                                                     serverName: TunnelSNI.serverName(for: service.id),
                                                     configuration: clientConfiguration, logger: logger)
            guard let connection = await accepted else { throw TunnelTestError.notAccepted }
            let connectorCounters = TunnelCounters()
            let connector = ConnectorTunnel(service: service, connection: connection, agentName: "agent-1",
                                            counters: connectorCounters, limits: limits, logger: logger,
                                            group: MultiThreadedEventLoopGroup.singleton)
            let run = Task { await connector.run() }
            return TunnelHarness(deployment: deployment, server: server, agent: agent, connector: connector,
                                 connectorRun: run, connectorCounters: connectorCounters,
                                 agentCounters: TunnelCounters(), service: service)
        } catch {
            deployment.remove()
            throw error
        }
    }

    /// A forwarder of this tunnel's service on an ephemeral loopback port, started.
    func forwarder(port: UInt16, protocol transport: TransportProtocol = .tcp, virtualIP: String = "10.100.0.1",
                   limits: TunnelLimits = TunnelLimits()) async throws -> (PortForwarder, SocketAddress) {
        let forward = ForwardConfig(listen: HostPort(host: "127.0.0.1", port: 0), service: service.id, port: port,
                                    protocol: transport)
        let virtual = try tunnelRequireLiteral(virtualIP)
        let forwarder = PortForwarder(forward: forward, service: AgentService(id: service.id, virtualIP: virtual),
                                      opener: FixedTunnelOpener(connection: agent), counters: agentCounters,
                                      limits: limits, logger: Self.logger, group: MultiThreadedEventLoopGroup.singleton)
        let address = try await forwarder.start()
        return (forwarder, address)
    }

    /// What the control plane does for UDP forwarders: offers every tunnel DATAGRAM to each of them.
    func pumpDatagrams(to forwarders: [PortForwarder]) -> Task<Void, Never> {
        let agent = self.agent
        let counters = agentCounters
        return Task {
            for await datagram in agent.datagrams where !forwarders.contains(where: { $0.deliver(ipPacket: datagram) }) {
                counters.drop(.noFlow)
            }
        }
    }

    /// Closes the tunnel (the connector's `run()` returns), the server and the PKI.
    func stop() async {
        await agent.close()
        await connectorRun.value
        await server.close()
        deployment.remove()
    }
}

/// The opener of a tunnel that is already up.
struct FixedTunnelOpener: TunnelOpener {
    let connection: QUICNIOConnection

    func tunnel(for service: ServiceID) async throws -> QUICNIOConnection { connection }
}

enum TunnelTestError: Error {
    case notAccepted
    case missingAddress
    case badLiteral(String)
    case timedOut(String)
}

func tunnelRequireAddress(_ address: SocketAddress?) throws -> SocketAddress {
    guard let address else { throw TunnelTestError.missingAddress }
    return address
}

func tunnelServiceID(_ text: String) throws -> ServiceID {
    guard let id = ServiceID(text) else { throw TunnelTestError.badLiteral(text) }
    return id
}

func tunnelRequireLiteral(_ text: String) throws -> IPAddressLiteral {
    guard let literal = IPAddressLiteral(text) else { throw TunnelTestError.badLiteral(text) }
    return literal
}

// MARK: - Waiting for a state

/// Waits until `condition` holds, checking every few milliseconds: a wait for a state, not a timing
/// assertion. `limit` only bounds a test that would otherwise hang (every state here is reached in
/// milliseconds on loopback).
func tunnelWaitUntil(_ what: String, limit: Duration = .seconds(20), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !(await condition()) {
        guard ContinuousClock.now < deadline else { throw TunnelTestError.timedOut(what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

// MARK: - Data

/// Deterministic bytes, not periodic at small powers of two; `offset` continues a sequence.
func tunnelTestBytes(count: Int, seed: Int = 0, offset: Int = 0) -> [UInt8] {
    (0..<count).map { tunnelTestByte(at: $0 + offset, seed: seed) }
}

@inline(__always)
func tunnelTestByte(at index: Int, seed: Int = 0) -> UInt8 {
    UInt8(truncatingIfNeeded: ((index &+ seed) &* 2_654_435_761) >> 11)
}
