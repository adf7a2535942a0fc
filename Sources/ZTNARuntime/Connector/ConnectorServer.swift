public import Logging
public import NIOCore
import NIOPosix
import QUICCore
import QUICNIO
import QUICTLS
public import ServiceLifecycle
import Synchronization
import ZTNAConfig
import ZTNAIdentity
import ZTNAProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The connector daemon (DESIGN.md §3, §4, §5, §8): one UDP socket carrying its relay connections (one
/// `RelayLink` per configured relay, each registering every service) and the tunnel connections agents open
/// to it through those relays. Each tunnel is checked here — the agent's certificate must grant `agent` for
/// the service its SNI names — and then served by `ConnectorTunnel` (TCP streams to backends, UDP flows,
/// ICMP echo).
public final class ConnectorServer: Service, Sendable {
    public let settings: ConnectorSettings
    private let logger: Logger
    private let loop: any EventLoop
    private let group: any EventLoopGroup
    private let registry: MetricsRegistry
    private let trustRoots: TrustRoots
    private let relayTLS: TLSContext
    private let tunnelTLS: TLSContext
    private let services: [ServiceID: ConnectorService]
    private let counters: [ServiceID: TunnelCounters]
    private let state = Mutex(State())
    private let startedAt = Date()

    private struct State {
        var endpoint: QUICNIOEndpoint?
        var router: NIOLoopBoundBox<ConnectorRouter>?
        var links: [RelayLink] = []
        var tasks: [Task<Void, Never>] = []
        var tunnels: [ObjectIdentifier: ConnectorTunnelReport] = [:]
        var refused = 0
        var stopping = false
    }

    // MARK: - Initialization

    /// Loads and checks the identity files; nothing is bound yet.
    public init(settings: ConnectorSettings, registry: MetricsRegistry, logger: Logger,
                group: (any EventLoopGroup)? = nil) throws(StartupError) {
        let group = group ?? MultiThreadedEventLoopGroup.singleton
        self.settings = settings
        self.logger = logger
        self.group = group
        self.loop = group.next()
        self.registry = registry
        let credentials = try NodeCredentials.load(
            certificate: settings.certificate, privateKey: settings.privateKey, trustRoots: settings.trustRoots,
            tunnelRole: .server)
        trustRoots = credentials.trustRoots
        relayTLS = credentials.relayTLS
        tunnelTLS = credentials.tunnelTLS
        var services: [ServiceID: ConnectorService] = [:]
        var counters: [ServiceID: TunnelCounters] = [:]
        for service in settings.services {
            services[service.id] = service
            counters[service.id] = TunnelCounters()
        }
        self.services = services
        self.counters = counters
        TunnelMetricsPublisher(registry: registry, counters: counters).install()
    }

    /// Tunnel connections (server side): DATAGRAM on, agent-opened bidirectional streams for TCP, and packets
    /// small enough to ride inside a relay DATAGRAM (DESIGN.md §4).
    private func tunnelConfiguration() -> QUICConfiguration {
        var quic = QUICConfiguration(tls: tunnelTLS)
        quic.maxIdleTimeout = .seconds(30)
        quic.maxUDPPayloadSize = TunnelPacketSize.maxUDPPayload
        quic.newPathMaxUDPPayloadSize = TunnelPacketSize.maxUDPPayload
        quic.initialMaxStreamsBidi = 1_000
        quic.initialMaxStreamsUni = 0
        return quic
    }

    // MARK: - Starting

    @discardableResult
    public func start() async throws(StartupError) -> SocketAddress {
        let endpoint: QUICNIOEndpoint
        do {
            endpoint = try await QUICNIOEndpoint.bind(
                host: settings.listen.host, port: Int(settings.listen.port),
                configuration: QUICEndpointConfiguration(server: tunnelConfiguration()), group: loop, logger: logger)
        } catch {
            throw StartupError("listen \(settings.listen): cannot bind the UDP socket: \(error)")
        }
        let router = NIOLoopBoundBox.makeBoxSendingValue(ConnectorRouter(endpoint: endpoint), eventLoop: loop)
        endpoint.relayedTransmitHandler = { route, bytes in router.value.transmit(route, bytes) }
        let serviceIDs = settings.services.map(\.id)
        var links: [RelayLink] = []
        for (index, relay) in settings.relays.enumerated() {
            links.append(RelayLink(relay: relay, endpoint: endpoint, tls: relayTLS, role: .connector,
                                   services: serviceIDs, logger: logger) { event in
                router.value.linkEvent(index, event)
            })
        }
        let configuredLinks = links
        try? await loop.submit { router.value.links = configuredLinks }.get()
        var tasks = links.map { link in Task { await link.run() } }
        tasks.append(Task { await self.acceptTunnels(endpoint) })
        state.withLock { state in
            state.endpoint = endpoint
            state.router = router
            state.links = links
            state.tasks = tasks
        }
        logger.notice("connector listening", metadata: [
            "address": "\(endpoint.localAddress.hostPortText)",
            "relays": "\(settings.relays.map(\.description).joined(separator: ","))",
            "services": "\(serviceIDs.map(\.description).joined(separator: ","))",
        ])
        return endpoint.localAddress
    }

    // MARK: - Tunnels

    private func acceptTunnels(_ endpoint: QUICNIOEndpoint) async {
        await withDiscardingTaskGroup { group in
            for await connection in endpoint.incomingConnections {
                group.addTask { await self.serve(connection) }
            }
        }
    }

    /// Checks the agent and its service, then serves the tunnel until it closes.
    private func serve(_ connection: QUICNIOConnection) async {
        let name = connection.requestedServerName ?? ""
        guard let serviceID = TunnelSNI.serviceID(fromServerName: name), let service = services[serviceID],
              let counters = counters[serviceID] else {
            return await refuse(connection, "SNI \"\(name)\" names no service offered here")
        }
        let peer: PeerIdentity
        switch await TunnelAuthorization.check(chain: connection.peerCertificateChain, trustRoots: trustRoots,
                                               as: .agent, for: serviceID) {
        case .failure(let refusal):
            return await refuse(connection, refusal.reason)
        case .success(let identity):
            peer = identity
        }
        let key = ObjectIdentifier(connection)
        state.withLock { $0.tunnels[key] = ConnectorTunnelReport(agent: peer.name, service: "\(serviceID)",
                                                                since: Date()) }
        logger.info("tunnel open", metadata: ["agent": "\(peer.name)", "service": "\(serviceID)"])
        let tunnel = ConnectorTunnel(service: service, connection: connection, agentName: peer.name,
                                     counters: counters, limits: TunnelLimits(), logger: logger, group: group)
        await tunnel.run()
        _ = state.withLock { $0.tunnels.removeValue(forKey: key) }
        logger.info("tunnel closed", metadata: ["agent": "\(peer.name)", "service": "\(serviceID)"])
    }

    private func refuse(_ connection: QUICNIOConnection, _ reason: String) async {
        state.withLock { $0.refused += 1 }
        logger.notice("tunnel refused", metadata: ["reason": "\(reason)"])
        await connection.close(errorCode: TunnelRefusal.closeCode, reason: String(reason.prefix(200)))
    }

    // MARK: - Service

    public func run() async throws {
        if state.withLock({ $0.endpoint }) == nil { try await start() }
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes the relay links and every tunnel (CONNECTION_CLOSE), drains for up to 3 s. Idempotent.
    public func shutdown() async {
        let (endpoint, tasks): (QUICNIOEndpoint?, [Task<Void, Never>]) = state.withLock { state in
            defer { state.stopping = true }
            return state.stopping ? (nil, []) : (state.endpoint, state.tasks)
        }
        guard let endpoint else { return }
        logger.notice("connector shutting down")
        for task in tasks { task.cancel() }
        await endpoint.close()
        for task in tasks { await task.value }
        logger.notice("connector stopped")
    }

    // MARK: - Observation

    public var localAddress: SocketAddress? {
        state.withLock { $0.endpoint?.localAddress }
    }

    /// `/readyz`: registered with at least one relay (DESIGN.md §8).
    public func readiness() async -> Readiness {
        let (links, stopping) = state.withLock { ($0.links, $0.stopping) }
        if stopping { return .notReady(reason: "shutting down") }
        for link in links {
            let registered = (try? await loop.submit { link.isRegisteredOnLoop }.get()) ?? false
            if registered { return .ready }
        }
        return .notReady(reason: "not registered with any relay yet")
    }

    public func status() async -> ConnectorStatusReport {
        let (links, tunnels, refused) = state.withLock { ($0.links, Array($0.tunnels.values), $0.refused) }
        var linkStatus: [RelayLinkStatus] = []
        for link in links { linkStatus.append(await link.status()) }
        return ConnectorStatusReport(
            listen: localAddress?.hostPortText ?? "\(settings.listen)", startedAt: startedAt, relays: linkStatus,
            tunnels: tunnels.sorted { ($0.service, $0.agent) < ($1.service, $1.agent) },
            services: settings.services.map { service in
                TunnelServiceReport(connector: service, counters: counters[service.id])
            },
            tunnelsRefused: refused)
    }
}
