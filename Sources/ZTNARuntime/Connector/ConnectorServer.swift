public import Logging
public import NIOCore
import NATTraversal
import NIOPosix
import QUICCore
import QUICNIO
import QUICTLS
public import ServiceLifecycle
import Synchronization
import TunnelTraversal
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
/// the service its SNI names, and its serial must not be revoked — and then served by `ConnectorTunnel` (TCP
/// streams to backends, UDP flows, ICMP echo). `reload()` (SIGHUP) swaps certificate, key, CA bundle and
/// revocation list without dropping the tunnels whose agents still pass the check.
public final class ConnectorServer: Service, Sendable {
    public let settings: ConnectorSettings
    private let logger: Logger
    private let loop: any EventLoop
    private let group: any EventLoopGroup
    private let registry: MetricsRegistry
    private let services: [ServiceID: ConnectorService]
    private let counters: [ServiceID: TunnelCounters]
    private let state: Mutex<State>
    private let startedAt = Date()
    private let pathMetrics: DirectPathMetrics

    private struct State {
        /// Replaced by `reload()`; `generation` counts the replacements.
        var credentials: NodeCredentials
        var generation = 0
        var endpoint: QUICNIOEndpoint?
        var router: NIOLoopBoundBox<ConnectorRouter>?
        var links: [RelayLink] = []
        var tasks: [Task<Void, Never>] = []
        var tunnels: [ObjectIdentifier: (agent: String, service: String, openedAt: Date)] = [:]
        /// The connection and service of each tunnel in `tunnels`, checked again by `reload()`.
        var live: [ObjectIdentifier: (connection: QUICNIOConnection, service: ServiceID)] = [:]
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
            revocationList: settings.revocationList, tunnelRole: .server)
        state = Mutex(State(credentials: credentials))
        var services: [ServiceID: ConnectorService] = [:]
        var counters: [ServiceID: TunnelCounters] = [:]
        for service in settings.services {
            services[service.id] = service
            counters[service.id] = TunnelCounters()
        }
        self.services = services
        self.counters = counters
        TunnelMetricsPublisher(registry: registry, counters: counters).install()
        pathMetrics = DirectPathMetrics(registry: registry)
    }

    /// Tunnel connections (server side): DATAGRAM on, agent-opened bidirectional streams for TCP, and packets
    /// small enough to ride inside a relay DATAGRAM (DESIGN.md §4).
    private func tunnelConfiguration(_ tunnelTLS: TLSContext) -> QUICConfiguration {
        var quic = QUICConfiguration(tls: tunnelTLS)
        quic.maxIdleTimeout = .seconds(30)
        quic.maxUDPPayloadSize = TunnelPacketSize.maxUDPPayload
        quic.newPathMaxUDPPayloadSize = TunnelPacketSize.maxUDPPayload
        quic.initialMaxStreamsBidi = 1_000
        quic.initialMaxStreamsUni = 0
        // Direct paths (DESIGN.md §6): offer draft-seemann-quic-nat-traversal-02, probing as many paths at once
        // as the traversal policy does.
        quic.offersNATTraversal = settings.direct
        quic.natTraversalConcurrencyLimit = UInt64(TraversalConfiguration().concurrencyLimit)
        return quic
    }

    /// Direct-path probes go to addresses the connector may have no route to: such datagrams are dropped
    /// instead of closing the one socket.
    private static var socketOptions: QUICNIOOptions {
        var options = QUICNIOOptions()
        options.checksRoutes = true
        return options
    }

    // MARK: - Starting

    @discardableResult
    public func start() async throws(StartupError) -> SocketAddress {
        let credentials = state.withLock { $0.credentials }
        let endpoint: QUICNIOEndpoint
        do {
            endpoint = try await QUICNIOEndpoint.bind(
                host: settings.listen.host, port: Int(settings.listen.port),
                configuration: QUICEndpointConfiguration(server: tunnelConfiguration(credentials.tunnelTLS)),
                options: Self.socketOptions, group: loop, logger: logger)
        } catch {
            throw StartupError("listen \(settings.listen): cannot bind the UDP socket: \(error)")
        }
        let router = NIOLoopBoundBox.makeBoxSendingValue(ConnectorRouter(endpoint: endpoint), eventLoop: loop)
        endpoint.relayedTransmitHandler = { route, bytes in router.value.transmit(route, bytes) }
        let serviceIDs = settings.services.map(\.id)
        var links: [RelayLink] = []
        for (index, relay) in settings.relays.enumerated() {
            links.append(RelayLink(relay: relay, endpoint: endpoint, tls: credentials.relayTLS, role: .connector,
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
        let key = ObjectIdentifier(connection)
        guard let peer = await admit(connection, as: key, for: serviceID) else { return }
        logger.info("tunnel open", metadata: ["agent": "\(peer.name)", "service": "\(serviceID)"])
        let tunnel = ConnectorTunnel(service: service, connection: connection, agentName: peer.name,
                                     counters: counters, limits: TunnelLimits(), logger: logger, group: group)
        let router = state.withLock { $0.router }
        await startTraversal(connection, as: key, router: router, agent: peer.name, service: serviceID)
        await tunnel.run()
        try? await loop.submit { router?.value.pathDrivers.removeValue(forKey: key)?.stop() }.get()
        state.withLock { state in
            state.tunnels[key] = nil
            state.live[key] = nil
        }
        logger.info("tunnel closed", metadata: ["agent": "\(peer.name)", "service": "\(serviceID)"])
    }

    /// The tunnel's NAT traversal session, on the event loop (DESIGN.md §6): advertises our candidates and
    /// probes what the agent pairs; the agent decides the path.
    private func startTraversal(_ connection: QUICNIOConnection, as key: ObjectIdentifier,
                                router: NIOLoopBoundBox<ConnectorRouter>?, agent: String, service: ServiceID) async {
        guard let router else { return }
        var pathLogger = logger
        pathLogger[metadataKey: "agent"] = "\(agent)"
        pathLogger[metadataKey: "service"] = "\(service)"
        let metrics = pathMetrics, direct = settings.direct, logger = pathLogger
        try? await loop.submit {
            let session = ConnectorTraversalSession(enabled: direct, now: .now())
            let driver = TunnelPathDriver(session: session, service: service, connection: connection, metrics: metrics,
                                          logger: logger)
            router.value.pathDrivers[key] = driver
            driver.start(candidates: router.value.candidates())
        }.get()
    }

    /// Checks the agent with the current credentials and records its tunnel; nil once it has been refused.
    private func admit(_ connection: QUICNIOConnection, as key: ObjectIdentifier,
                       for serviceID: ServiceID) async -> PeerIdentity? {
        while true {
            let (credentials, generation) = state.withLock { ($0.credentials, $0.generation) }
            switch await TunnelAuthorization.check(chain: connection.peerCertificateChain,
                                                   trustRoots: credentials.trustRoots,
                                                   revocations: credentials.revocations, as: .agent, for: serviceID) {
            case .failure(let refusal):
                await refuse(connection, refusal.reason)
                return nil
            case .success(let peer):
                // A reload that ran during the check did not see this tunnel: check it again with the new files.
                let recorded = state.withLock { state in
                    guard state.generation == generation else { return false }
                    state.tunnels[key] = (peer.name, "\(serviceID)", Date())
                    state.live[key] = (connection, serviceID)
                    return true
                }
                if recorded { return peer }
            }
        }
    }

    private func refuse(_ connection: QUICNIOConnection, _ reason: String, event: Logger.Message = "tunnel refused") async {
        state.withLock { $0.refused += 1 }
        logger.notice(event, metadata: ["reason": "\(reason)"])
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

    // MARK: - Reload (SIGHUP)

    /// Loads certificate, key, CA bundle and revocation list again (DESIGN.md §7). New tunnel handshakes use
    /// them at once, relay links from their next reconnect (the live relay connections stay); every
    /// established tunnel's agent is checked again and those that fail (revoked, or no longer verifying) are
    /// closed with the refusal code and counted as refused. On error nothing changes.
    /// - Returns: how many tunnels were closed.
    @discardableResult
    public func reload() async throws(StartupError) -> Int {
        let credentials = try NodeCredentials.load(
            certificate: settings.certificate, privateKey: settings.privateKey, trustRoots: settings.trustRoots,
            revocationList: settings.revocationList, tunnelRole: .server)
        let (endpoint, links, live) = state.withLock { state in
            state.credentials = credentials
            state.generation += 1
            return (state.endpoint, state.links, Array(state.live))
        }
        for link in links { link.replaceTLS(credentials.relayTLS) }
        await endpoint?.replaceServerConfiguration(tunnelConfiguration(credentials.tunnelTLS))
        var disconnected = 0
        for (key, tunnel) in live {
            let result = await TunnelAuthorization.check(
                chain: tunnel.connection.peerCertificateChain, trustRoots: credentials.trustRoots,
                revocations: credentials.revocations, as: .agent, for: tunnel.service)
            guard case .failure(let refusal) = result else { continue }
            disconnected += 1
            await refuse(tunnel.connection, refusal.reason, event: "tunnel disconnected after reload")
            // Gone from the status at once, not only when its `ConnectorTunnel` has wound down.
            state.withLock { state in
                state.tunnels[key] = nil
                state.live[key] = nil
            }
        }
        logger.notice("connector reloaded credentials", metadata: [
            "revoked.serials": "\(credentials.revocations.serials.count)", "disconnected": "\(disconnected)",
        ])
        return disconnected
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
        let (links, open, refused, router) = state.withLock { ($0.links, $0.tunnels, $0.refused, $0.router) }
        var linkStatus: [RelayLinkStatus] = []
        for link in links { linkStatus.append(await link.status()) }
        let paths = (try? await loop.submit { () -> [ObjectIdentifier: TunnelPathReport] in
            guard let router = router?.value else { return [:] }
            return router.pathDrivers.mapValues { $0.report(relay: router.relayName(of: $0.relayedPath)) }
        }.get()) ?? [:]
        let tunnels = open.compactMap { key, tunnel -> ConnectorTunnelReport? in
            guard let path = paths[key] else { return nil }
            return ConnectorTunnelReport(agent: tunnel.agent, service: tunnel.service, openedAt: tunnel.openedAt, path: path)
        }
        return ConnectorStatusReport(
            listen: localAddress?.hostPortText ?? "\(settings.listen)", startedAt: startedAt, relays: linkStatus,
            tunnels: tunnels.sorted { ($0.service, $0.agent) < ($1.service, $1.agent) },
            services: settings.services.map { service in
                TunnelServiceReport(connector: service, counters: counters[service.id])
            },
            tunnelsRefused: refused)
    }
}
