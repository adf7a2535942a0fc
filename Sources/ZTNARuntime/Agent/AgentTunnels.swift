import Logging
import NATTraversal
import NIOCore
import QUICCore
import QUICNIO
import TunnelTraversal
import ZTNAIdentity
import ZTNAProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The agent's tunnel connections (DESIGN.md §4): one QUIC connection per service, ALPN `ztna-tunnel-v1`,
/// opened on demand over the active relay's relayed path, kept alive, re-opened after it is lost. Each
/// connector certificate is checked here (`connector` grant for the service, serial not revoked), and again
/// after a reload (`replaceCredentials`). Received DATAGRAMs (UDP/ICMP replies) are offered to the service's
/// packet consumers.
actor AgentTunnels: TunnelOpener {
    private let endpoint: QUICNIOEndpoint
    private let router: NIOLoopBoundBox<AgentRouter>
    private var configuration: QUICConfiguration
    private var trustRoots: TrustRoots
    private var revocations: RevocationList
    /// Counts `replaceCredentials` calls: a tunnel whose check straddled one is checked again.
    private var generation = 0
    private let logger: Logger
    /// Direct paths on (DESIGN.md §6): each tunnel gets a NAT traversal session; off, it stays relayed.
    private let direct: Bool
    private let pathMetrics: DirectPathMetrics
    private var live: [ServiceID: Tunnel] = [:]
    private var opening: [ServiceID: Task<QUICNIOConnection, any Error>] = [:]
    private var consumers: [ServiceID: [@Sendable ([UInt8]) -> Bool]] = [:]
    private var observers: [@Sendable (ServiceID, QUICNIOConnection?) -> Void] = []
    private(set) var unclaimedDatagrams: UInt64 = 0

    struct Tunnel {
        let connection: QUICNIOConnection
        let connector: String
        let since: Date
        var link: Int
    }

    /// How long `tunnel(for:)` waits for the relay registration and a connector before giving up.
    static let openTimeout: Duration = .seconds(10)

    init(endpoint: QUICNIOEndpoint, router: NIOLoopBoundBox<AgentRouter>, configuration: QUICConfiguration,
         trustRoots: TrustRoots, revocations: RevocationList = RevocationList(), direct: Bool,
         pathMetrics: DirectPathMetrics, logger: Logger) {
        self.endpoint = endpoint
        self.direct = direct
        self.pathMetrics = pathMetrics
        self.router = router
        self.configuration = configuration
        self.trustRoots = trustRoots
        self.revocations = revocations
        self.logger = logger
    }

    /// Adds a consumer of `service`'s received packets; it returns true for a packet it took.
    func addConsumer(for service: ServiceID, _ consumer: @escaping @Sendable ([UInt8]) -> Bool) {
        consumers[service, default: []].append(consumer)
    }

    /// Adds an observer told each time a service's tunnel comes up (with its connection) or goes (nil).
    func addObserver(_ observer: @escaping @Sendable (ServiceID, QUICNIOConnection?) -> Void) {
        observers.append(observer)
    }

    // MARK: - TunnelOpener

    nonisolated func tunnel(for service: ServiceID) async throws -> QUICNIOConnection {
        try await open(service)
    }

    func open(_ service: ServiceID) async throws -> QUICNIOConnection {
        if let tunnel = live[service] { return tunnel.connection }
        if let pending = opening[service] { return try await pending.value }
        let task = Task { try await self.connect(service) }
        opening[service] = task
        defer { opening[service] = nil }
        return try await task.value
    }

    /// Closes `service`'s tunnel, if one is up (it is forgotten, and observers told, once it has closed).
    func close(_ service: ServiceID, reason: String) async {
        guard let tunnel = live[service] else { return }
        logger.info("closing tunnel", metadata: ["service": "\(service)", "reason": "\(reason)"])
        await tunnel.connection.close(errorCode: 0, reason: reason)
    }

    /// Whether a tunnel for `service` is up.
    func isUp(_ service: ServiceID) -> Bool { live[service] != nil }

    private func connect(_ service: ServiceID) async throws -> QUICNIOConnection {
        let router = self.router
        let loop = endpoint.eventLoop
        let deadline = ContinuousClock.now + Self.openTimeout
        while !((try? await loop.submit { router.value.isUsable(service) }.get()) ?? false) {
            guard ContinuousClock.now < deadline else {
                throw TunnelOpenError("no connector available for \(service) (not registered with a relay, or no connector serves it)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let (route, link) = try await loop.submit {
            (router.value.route(for: service, link: router.value.activeLink), router.value.activeLink)
        }.get()
        let connection = try await endpoint.connect(to: .relayed(route), serverName: TunnelSNI.serverName(for: service),
                                                    configuration: configuration)
        let connector: PeerIdentity
        switch await authorize(connection, for: service) {
        case .failure(let refusal):
            await connection.close(errorCode: TunnelRefusal.closeCode, reason: String(refusal.reason.prefix(200)))
            throw TunnelOpenError("connector refused: \(refusal.reason)")
        case .success(let identity):
            connector = identity
        }
        live[service] = Tunnel(connection: connection, connector: connector.name, since: Date(), link: link)
        await startTraversal(connection, route: route, service: service, connector: connector.name)
        for observer in observers { observer(service, connection) }
        logger.info("tunnel up", metadata: ["service": "\(service)", "connector": "\(connector.name)"])
        Task { await self.dispatch(service, connection) }
        return connection
    }

    /// The tunnel's NAT traversal session (DESIGN.md §6), on the event loop: it pairs the connector's
    /// advertised candidates with ours, punches, and moves the tunnel to the first direct path that validates.
    private func startTraversal(_ connection: QUICNIOConnection, route: RelayRoute, service: ServiceID,
                                connector: String) async {
        var pathLogger = logger
        pathLogger[metadataKey: "service"] = "\(service)"
        pathLogger[metadataKey: "connector"] = "\(connector)"
        let router = self.router, metrics = pathMetrics, direct = self.direct, logger = pathLogger
        try? await endpoint.eventLoop.submit {
            let session = AgentTraversalSession(relayedPath: .relayed(route), enabled: direct, now: .now())
            let driver = TunnelPathDriver(session: session, service: service, connection: connection, metrics: metrics,
                                          logger: logger)
            driver.onPathChange = { path in
                // Back on the relay, which says no connector serves the service: the connector is gone.
                guard path == .relayed(.directPathFailed), !router.value.isUsable(service) else { return }
                connection.closeOnLoop(errorCode: 0, reason: "no connector serves the service")
            }
            router.value.pathDrivers[ObjectIdentifier(connection)] = driver
            driver.start(candidates: router.value.candidates())
        }.get()
    }

    /// Checks the connector against the current files, and again when a reload replaced them during the check
    /// (the actor is reentrant): no tunnel is admitted under a revocation list that was already replaced.
    private func authorize(_ connection: QUICNIOConnection,
                           for service: ServiceID) async -> Result<PeerIdentity, TunnelRefusal> {
        while true {
            let checked = generation
            let result = await TunnelAuthorization.check(chain: connection.peerCertificateChain, trustRoots: trustRoots,
                                                         revocations: revocations, as: .connector, for: service)
            if generation == checked { return result }
        }
    }

    /// Hands received packets to the consumers until the connection closes, then forgets it.
    private func dispatch(_ service: ServiceID, _ connection: QUICNIOConnection) async {
        for await packet in connection.datagrams {
            let takers = consumers[service] ?? []
            if !takers.contains(where: { $0(packet) }) { unclaimedDatagrams += 1 }
        }
        let reason = await connection.closed
        let router = self.router
        try? await endpoint.eventLoop.submit { router.value.pathDrivers.removeValue(forKey: ObjectIdentifier(connection))?.stop() }.get()
        if live[service]?.connection === connection {
            live[service] = nil
            for observer in observers { observer(service, nil) }
        }
        logger.info("tunnel down", metadata: ["service": "\(service)", "reason": "\(reason)"])
    }

    // MARK: - Relay failover

    /// The agent moved to relay link `link`: each tunnel probes its path through that relay and migrates to
    /// it once validated (a path change, not a new handshake — DESIGN.md §8). A tunnel that cannot migrate is
    /// closed and opened again on demand.
    func migrate(to link: Int) async {
        let router = self.router
        let loop = endpoint.eventLoop
        for (service, tunnel) in live where tunnel.link != link {
            guard let route = try? await loop.submit({ router.value.route(for: service, link: link) }).get() else { continue }
            let path = PathAddress.relayed(route)
            let key = ObjectIdentifier(tunnel.connection)
            do {
                try await tunnel.connection.probePath(path, maxUDPPayload: TunnelPacketSize.maxUDPPayload)
                let deadline = ContinuousClock.now + .seconds(5)
                while !(await tunnel.connection.isPathValidated(path)) {
                    guard ContinuousClock.now < deadline else { throw TunnelOpenError("path through relay \(link) not validated") }
                    try await Task.sleep(for: .milliseconds(20))
                }
                // A direct tunnel stays where it is: the new relay only becomes its fallback.
                let isDirect = (try? await loop.submit { router.value.pathDrivers[key]?.isDirect ?? false }.get()) ?? false
                if !isDirect { try await tunnel.connection.migrate(to: path) }
                try? await loop.submit { router.value.pathDrivers[key]?.relayedPathMoved(to: path) }.get()
                live[service]?.link = link
                logger.info("tunnel moved to another relay", metadata: ["service": "\(service)", "direct": "\(isDirect)"])
            } catch {
                logger.warning("tunnel could not move; reopening", metadata: ["service": "\(service)", "error": "\(error)"])
                await tunnel.connection.close(errorCode: 0, reason: "relay failover")
            }
        }
    }

    // MARK: - Reload

    /// The agent's reloaded files (DESIGN.md §7): new tunnels use them at once; every live tunnel's connector
    /// is checked again and those that fail (revoked, or no longer verifying) are closed with the refusal code
    /// — the others stay up. Returns how many were closed.
    func replaceCredentials(configuration: QUICConfiguration, trustRoots: TrustRoots,
                            revocations: RevocationList) async -> Int {
        self.configuration = configuration
        self.trustRoots = trustRoots
        self.revocations = revocations
        generation += 1
        var closed = 0
        for (service, tunnel) in live {
            let result = await TunnelAuthorization.check(chain: tunnel.connection.peerCertificateChain,
                                                         trustRoots: trustRoots, revocations: revocations,
                                                         as: .connector, for: service)
            guard case .failure(let refusal) = result else { continue }
            closed += 1
            logger.notice("tunnel closed after reload", metadata: [
                "service": "\(service)", "connector": "\(tunnel.connector)", "reason": "\(refusal.reason)",
            ])
            await tunnel.connection.close(errorCode: TunnelRefusal.closeCode, reason: String(refusal.reason.prefix(200)))
        }
        return closed
    }

    // MARK: - Status and shutdown

    func reports() async -> [AgentTunnelReport] {
        var reports: [AgentTunnelReport] = []
        let router = self.router
        for (service, tunnel) in live.sorted(by: { $0.key < $1.key }) {
            let statistics = await tunnel.connection.statistics
            let key = ObjectIdentifier(tunnel.connection)
            let link = tunnel.link
            guard let path = try? await endpoint.eventLoop.submit({ () -> TunnelPathReport? in
                let relay = link < router.value.links.count ? "\(router.value.links[link].relay)" : nil
                return router.value.pathDrivers[key]?.report(relay: relay)
            }).get() else { continue }
            reports.append(AgentTunnelReport(
                service: "\(service)", connector: tunnel.connector, openedAt: tunnel.since, relay: tunnel.link,
                bytesSent: statistics.bytesSent, bytesReceived: statistics.bytesReceived, path: path))
        }
        return reports
    }

    func closeAll() async {
        for tunnel in live.values { await tunnel.connection.close(errorCode: 0, reason: "agent shutting down") }
        live.removeAll()
    }
}

/// Why a tunnel could not be opened.
struct TunnelOpenError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
