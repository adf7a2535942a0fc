public import Logging
public import NIOCore
import NIOPosix
import QUICCore
public import QUICNIO
import QUICTLS
public import ServiceLifecycle
import Synchronization
import ZTNAConfig
import ZTNAIdentity
public import ZTNAProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The agent daemon in port-forward mode (DESIGN.md §4, §5, §8): one UDP socket for its relay connection and
/// its tunnels, one relay at a time (the first healthy one, failing over in order), one tunnel per service
/// opened on demand over the relayed path and kept up, and local TCP/UDP listeners that carry each local
/// connection or datagram flow through the tunnel.
public final class AgentServer: Service, Sendable {
    public let settings: AgentSettings
    private let logger: Logger
    private let loop: any EventLoop
    private let group: any EventLoopGroup
    /// Replaced by `reload()` (SIGHUP).
    private let credentials: Mutex<NodeCredentials>
    private var trustRoots: TrustRoots { credentials.withLock { $0.trustRoots } }
    private var relayTLS: TLSContext { credentials.withLock { $0.relayTLS } }
    private var tunnelTLS: TLSContext { credentials.withLock { $0.tunnelTLS } }
    private var revocations: RevocationList { credentials.withLock { $0.revocations } }
    private let counters: [ServiceID: TunnelCounters]
    /// TUN drops that belong to no service.
    private let interfaceCounters = TunnelCounters()
    private let state = Mutex(State())
    private let startedAt = Date()
    private let pathMetrics: DirectPathMetrics

    private struct State {
        var endpoint: QUICNIOEndpoint?
        var router: NIOLoopBoundBox<AgentRouter>?
        var links: [RelayLink] = []
        var tunnels: AgentTunnels?
        var forwarders: [(ForwardConfig, PortForwarder, SocketAddress)] = []
        var tasks: [Task<Void, Never>] = []
        var stopping = false
        #if os(Linux)
        var tun: AgentTunMode?
        #endif
    }

    public init(settings: AgentSettings, registry: MetricsRegistry, logger: Logger,
                group: (any EventLoopGroup)? = nil) throws(StartupError) {
        let group = group ?? MultiThreadedEventLoopGroup.singleton
        self.settings = settings
        self.logger = logger
        self.group = group
        self.loop = group.next()
        let credentials = try NodeCredentials.load(
            certificate: settings.certificate, privateKey: settings.privateKey, trustRoots: settings.trustRoots,
            revocationList: settings.revocationList, tunnelRole: .client)
        self.credentials = Mutex(credentials)
        var counters: [ServiceID: TunnelCounters] = [:]
        for service in settings.services { counters[service.id] = TunnelCounters() }
        self.counters = counters
        TunnelMetricsPublisher(registry: registry, counters: counters, interfaceCounters: interfaceCounters).install()
        pathMetrics = DirectPathMetrics(registry: registry)
    }

    private func tunnelConfiguration() -> QUICConfiguration {
        var quic = QUICConfiguration(tls: tunnelTLS)
        quic.maxIdleTimeout = .seconds(30)
        quic.keepAliveInterval = .seconds(10)
        quic.maxUDPPayloadSize = TunnelPacketSize.maxUDPPayload
        quic.newPathMaxUDPPayloadSize = TunnelPacketSize.maxUDPPayload
        quic.initialMaxStreamsBidi = 0
        quic.initialMaxStreamsUni = 0
        // Direct paths (DESIGN.md §6): offer draft-seemann-quic-nat-traversal-02 to the connector.
        quic.offersNATTraversal = settings.direct
        return quic
    }

    // MARK: - Starting

    /// Binds the UDP socket and every forward's listener; returns the forwards' bound addresses in order.
    @discardableResult
    public func start() async throws(StartupError) -> [SocketAddress] {
        let endpoint: QUICNIOEndpoint
        do {
            // Direct-path probes go to addresses the node may have no route to; so may everything while the
            // network comes and goes: such datagrams are dropped instead of closing the one socket.
            var options = QUICNIOOptions()
            options.checksRoutes = true
            endpoint = try await QUICNIOEndpoint.bind(host: settings.bindHost, port: 0, options: options, group: loop,
                                                      logger: logger)
        } catch {
            throw StartupError("cannot bind the agent's UDP socket: \(error)")
        }
        let router = NIOLoopBoundBox.makeBoxSendingValue(AgentRouter(endpoint: endpoint), eventLoop: loop)
        endpoint.relayedTransmitHandler = { route, bytes in router.value.transmit(route, bytes) }
        let serviceIDs = settings.services.map(\.id)
        var links: [RelayLink] = []
        for (index, relay) in settings.relays.enumerated() {
            links.append(RelayLink(relay: relay, endpoint: endpoint, tls: relayTLS, role: .agent,
                                   services: serviceIDs, logger: logger) { event in
                router.value.linkEvent(index, event)
            })
        }
        let configuredLinks = links
        let tunAddress: Set<String> = settings.tun == nil ? [] : ["\(settings.tunnelAddress)"]
        try? await loop.submit {
            router.value.links = configuredLinks
            router.value.excludedHosts = tunAddress
        }.get()
        let tunnels = AgentTunnels(endpoint: endpoint, router: router, configuration: tunnelConfiguration(),
                                   trustRoots: trustRoots, revocations: revocations, direct: settings.direct,
                                   pathMetrics: pathMetrics, logger: logger)
        try? await loop.submit {
            router.value.onServiceLost = { service in
                // A direct tunnel proves its connector alive by itself: the relay may only have lost (or not yet
                // regained) the connector's registration. It is closed if its direct path fails while the
                // service is still unavailable (`AgentTunnels.startTraversal`).
                if router.value.isDirect(service) { return }
                Task { await tunnels.close(service, reason: "no connector serves the service") }
            }
        }.get()
        var forwarders: [(ForwardConfig, PortForwarder, SocketAddress)] = []
        for forward in settings.forwards {
            guard let service = settings.services.first(where: { $0.id == forward.service }),
                  let counters = counters[forward.service] else { continue }
            let forwarder = PortForwarder(forward: forward, service: service, tunnelAddress: settings.tunnelAddress,
                                          opener: tunnels, counters: counters, logger: logger, group: group)
            do {
                let address = try await forwarder.start()
                await tunnels.addConsumer(for: forward.service) { packet in forwarder.deliver(ipPacket: packet) }
                forwarders.append((forward, forwarder, address))
                logger.notice("forwarding", metadata: [
                    "listen": "\(forward.protocol):\(address.hostPortText)", "service": "\(forward.service)",
                    "port": "\(forward.port)",
                ])
            } catch {
                for (_, started, _) in forwarders { await started.close() }
                await endpoint.close()
                throw StartupError("forward \(forward.listen): cannot listen: \(error)")
            }
        }
        #if os(Linux)
        var tunMode: AgentTunMode?
        if let tun = settings.tun {
            do {
                tunMode = try await AgentTunMode.start(tun, settings: settings, tunnels: tunnels, counters: counters,
                                                       interfaceCounters: interfaceCounters, loop: loop, logger: logger)
            } catch {
                for (_, started, _) in forwarders { await started.close() }
                await endpoint.close()
                throw error
            }
        }
        #else
        if settings.tun != nil {
            for (_, started, _) in forwarders { await started.close() }
            await endpoint.close()
            throw StartupError("TUN mode is available on Linux only; use --no-tun for port-forward mode")
        }
        #endif
        let allLinks = links
        let tasks = [
            Task { await self.superviseRelays(allLinks, router: router, tunnels: tunnels) },
            Task { await self.keepTunnelsUp(tunnels, router: router) },
        ]
        state.withLock { state in
            state.endpoint = endpoint
            state.router = router
            state.links = links
            state.tunnels = tunnels
            state.forwarders = forwarders
            state.tasks = tasks
            #if os(Linux)
            state.tun = tunMode
            #endif
        }
        return forwarders.map(\.2)
    }

    /// One relay at a time, in order: a relay that fails twice in a row without completing a handshake is
    /// left for the next one (DESIGN.md §8); the tunnels follow to the new relay's path.
    private func superviseRelays(_ links: [RelayLink], router: NIOLoopBoundBox<AgentRouter>, tunnels: AgentTunnels) async {
        var index = 0
        while !Task.isCancelled {
            let active = index
            try? await loop.submit { router.value.activeLink = active }.get()
            let migration = Task { await self.migrateWhenRegistered(tunnels, to: active, link: links[active]) }
            await links[active].run(giveUpAfterFailures: links.count > 1 ? 2 : nil)
            migration.cancel()
            index = (index + 1) % links.count
            if links.count > 1 { logger.warning("failing over to the next relay", metadata: ["relay": "\(links[index].relay)"]) }
        }
    }

    /// `link` is passed in rather than read from `state`: this task starts before `start()` has stored the
    /// links there.
    private func migrateWhenRegistered(_ tunnels: AgentTunnels, to index: Int, link: RelayLink) async {
        while !Task.isCancelled {
            if (try? await loop.submit { link.isRegisteredOnLoop }.get()) == true {
                await tunnels.migrate(to: index)
                return
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The services whose tunnels are kept up: every service in TUN mode, the forwarded ones otherwise.
    private var tunneledServices: [ServiceID] {
        settings.tun != nil ? settings.services.map(\.id) : Set(settings.forwards.map(\.service)).sorted()
    }

    /// Opens each tunneled service's tunnel as soon as a connector serves it, and again after it is lost.
    /// A service whose tunnel is refused (no grant, a revoked certificate, a connector that fails) is retried
    /// with backoff — 250 ms doubling to 15 s, with jitter — rather than every 250 ms; a connector that comes
    /// back for it starts the schedule over.
    private func keepTunnelsUp(_ tunnels: AgentTunnels, router: NIOLoopBoundBox<AgentRouter>) async {
        let services = tunneledServices
        var retries: [ServiceID: (schedule: ReconnectBackoff, at: ContinuousClock.Instant)] = [:]
        var random = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            for service in services where !(await tunnels.isUp(service)) {
                guard (try? await loop.submit { router.value.isUsable(service) }.get()) == true else {
                    retries[service] = nil
                    continue
                }
                if let retry = retries[service], ContinuousClock.now < retry.at { continue }
                do {
                    _ = try await tunnels.open(service)
                    retries[service] = nil
                } catch {
                    var schedule = retries[service]?.schedule ?? Self.tunnelRetrySchedule
                    let delay = schedule.nextDelay(connectedFor: nil, using: &random)
                    retries[service] = (schedule, .now + delay)
                    logger.warning("cannot open tunnel", metadata: [
                        "service": "\(service)", "error": "\(error)", "retryIn": "\(delay)",
                    ])
                }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    private static var tunnelRetrySchedule: ReconnectBackoff {
        var schedule = ReconnectBackoff()
        schedule.initial = .milliseconds(250)
        schedule.maximum = .seconds(15)
        return schedule
    }

    // MARK: - Service

    public func run() async throws {
        if state.withLock({ $0.endpoint }) == nil { try await start() }
        try? await gracefulShutdown()
        await shutdown()
    }

    public func shutdown() async {
        let taken: (QUICNIOEndpoint, [Task<Void, Never>], AgentTunnels?, [PortForwarder])? = state.withLock { state in
            defer { state.stopping = true }
            guard !state.stopping, let endpoint = state.endpoint else { return nil }
            return (endpoint, state.tasks, state.tunnels, state.forwarders.map(\.1))
        }
        guard let (endpoint, tasks, tunnels, forwarders) = taken else { return }
        logger.notice("agent shutting down")
        for task in tasks { task.cancel() }
        for forwarder in forwarders { await forwarder.close() }
        #if os(Linux)
        // Routes and device go first: applications fail fast instead of sending into a closing tunnel.
        await state.withLock { $0.tun }?.stop()
        #endif
        await tunnels?.closeAll()
        await endpoint.close()
        for task in tasks { await task.value }
        logger.notice("agent stopped")
    }

    // MARK: - Reload (SIGHUP)

    /// Loads certificate, key, CA bundle and revocation list again (DESIGN.md §7). New tunnels use them at once,
    /// the relay link from its next reconnect (the live relay connection stays); every established tunnel's
    /// connector is checked again and those that fail (revoked, or no longer verifying) are closed with the
    /// refusal code. On error nothing changes.
    /// - Returns: how many tunnels were closed.
    @discardableResult
    public func reload() async throws(StartupError) -> Int {
        let loaded = try NodeCredentials.load(
            certificate: settings.certificate, privateKey: settings.privateKey, trustRoots: settings.trustRoots,
            revocationList: settings.revocationList, tunnelRole: .client)
        credentials.withLock { $0 = loaded }
        let (links, tunnels) = state.withLock { ($0.links, $0.tunnels) }
        for link in links { link.replaceTLS(loaded.relayTLS) }
        let closed = await tunnels?.replaceCredentials(configuration: tunnelConfiguration(), trustRoots: loaded.trustRoots,
                                                       revocations: loaded.revocations) ?? 0
        logger.notice("agent reloaded credentials", metadata: [
            "revoked.serials": "\(loaded.revocations.serials.count)", "disconnected": "\(closed)",
        ])
        return closed
    }

    // MARK: - Tunnels

    /// The established tunnel of `service`, opened now when there is none (waits up to 10 s for a relay
    /// registration and a connector). For tools that speak the tunnel protocol themselves (`ztna probe`).
    public func tunnel(for service: ServiceID) async throws -> QUICNIOConnection {
        guard let tunnels = state.withLock({ $0.tunnels }) else { throw TunnelOpenError("the agent is not started") }
        return try await tunnels.open(service)
    }

    /// Adds a consumer of the packets (DATAGRAM payloads) that arrive on `service`'s tunnels; it returns true
    /// for a packet it took. Packets nobody takes are counted as unclaimed.
    public func addPacketConsumer(for service: ServiceID, _ consumer: @escaping @Sendable ([UInt8]) -> Bool) async {
        guard let tunnels = state.withLock({ $0.tunnels }) else { return }
        await tunnels.addConsumer(for: service, consumer)
    }

    // MARK: - Observation

    /// The local addresses the forwards listen on, in the order of `settings.forwards`.
    public var forwardAddresses: [SocketAddress] {
        state.withLock { $0.forwarders.map(\.2) }
    }

    /// `/readyz`: registered with a relay and a tunnel up for every forwarded service (DESIGN.md §8).
    public func readiness() async -> Readiness {
        let (links, tunnels, stopping) = state.withLock { ($0.links, $0.tunnels, $0.stopping) }
        if stopping { return .notReady(reason: "shutting down") }
        guard let tunnels else { return .notReady(reason: "starting") }
        var registered = false
        for link in links where (try? await loop.submit { link.isRegisteredOnLoop }.get()) == true { registered = true }
        guard registered else { return .notReady(reason: "not registered with a relay") }
        for service in tunneledServices where !(await tunnels.isUp(service)) {
            return .notReady(reason: "tunnel for \(service) is not up")
        }
        return .ready
    }

    public func status() async -> AgentStatusReport {
        let (links, tunnels, forwarders) = state.withLock { ($0.links, $0.tunnels, $0.forwarders) }
        #if os(Linux)
        let tun = await state.withLock { $0.tun }?.report()
        #else
        let tun: AgentTunReport? = nil
        #endif
        var linkStatus: [RelayLinkStatus] = []
        for link in links { linkStatus.append(await link.status()) }
        return AgentStatusReport(
            startedAt: startedAt, relays: linkStatus, tunnels: await tunnels?.reports() ?? [],
            forwards: forwarders.map { forward, _, address in
                AgentForwardReport(listen: "\(forward.protocol):\(address.hostPortText)", service: "\(forward.service)",
                                   port: Int(forward.port))
            },
            services: settings.services.map { TunnelServiceReport(agent: $0, counters: counters[$0.id]) }, tun: tun)
    }
}
