public import Logging
public import NIOCore
import NIOPosix
import QUICCore
import QUICNIO
import QUICTLS
import RelayCore
public import ServiceLifecycle
import Synchronization
import ZTNAConfig
import ZTNAIdentity

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The relay daemon (DESIGN.md §3, §7, §8): a QUIC endpoint that accepts mTLS clients with ALPN `ztna-v1`,
/// admits those whose certificate verifies, and runs `RelayCore` on the endpoint's event loop.
///
/// Lifecycle: `init` loads and checks every file (fails fast, naming the file); `start()` binds the UDP
/// socket; `run()` (a swift-service-lifecycle `Service`) serves until graceful shutdown, then closes every
/// connection with CONNECTION_CLOSE and drains for up to 3 s. `reload()` (SIGHUP) swaps certificate, key,
/// CA bundle and revocation list without dropping established connections, and disconnects the clients
/// whose certificates no longer verify or are revoked.
public final class RelayServer: Service, Sendable {
    public let settings: RelaySettings
    private let logger: Logger
    private let loop: any EventLoop
    private let forwarder: NIOLoopBoundBox<RelayForwarder>
    private let publisher: RelayMetricsPublisher
    private let registry: MetricsRegistry
    private let state: Mutex<State>
    private let startedAt = Date()
    private let relayName: String

    private struct State {
        var credentials: RelayCredentials
        var endpoint: QUICNIOEndpoint?
        var stopping = false
    }

    // MARK: - Initialization

    /// Loads the credentials, the revocation list and the Retry-token key; nothing is bound yet.
    public init(settings: RelaySettings, registry: MetricsRegistry, logger: Logger,
                group: (any EventLoopGroup)? = nil,
                randomSeed: UInt64 = UInt64.random(in: .min ... .max)) throws(StartupError) {
        let credentials = try RelayCredentials.load(settings)
        if let path = settings.retryTokenKey { _ = try RetryTokenKey.load(path: path) }
        let loop = (group ?? MultiThreadedEventLoopGroup.singleton).next()
        self.settings = settings
        self.logger = logger
        self.loop = loop
        self.registry = registry
        self.publisher = RelayMetricsPublisher(registry: registry)
        self.relayName = credentials.identity.name
        // Created here, used only on `loop` from now on.
        self.forwarder = NIOLoopBoundBox.makeBoxSendingValue(
            RelayForwarder(core: RelayCore(limits: settings.limits, randomSeed: randomSeed),
                           credentials: credentials, logger: logger),
            eventLoop: loop)
        self.state = Mutex(State(credentials: credentials))
        registry.addCollectHook { [weak self] in await self?.publishMetrics() }
    }

    // MARK: - Starting

    /// Binds the UDP socket and starts accepting; returns the bound address (its real port when 0 was asked).
    @discardableResult
    public func start() async throws(StartupError) -> SocketAddress {
        let credentials = state.withLock { $0.credentials }
        var configuration = QUICEndpointConfiguration(server: serverConfiguration(credentials.tls))
        configuration.retry = switch settings.retry {
        case .always: .always
        case .never: .never
        case .auto: .auto(handshakesPerSecond: settings.retryAboveHandshakesPerSecond)
        }
        configuration.maxHandshakesPerAddress = settings.maxHandshakesPerAddress
        configuration.maxConnections = settings.limits.maxConnections
        if let path = settings.retryTokenKey { configuration.retryTokenKey = try RetryTokenKey.load(path: path) }
        var options = QUICNIOOptions()
        options.socketReceiveBufferSize = settings.socketBufferSize
        options.socketSendBufferSize = settings.socketBufferSize
        let forwarder = self.forwarder
        let loop = self.loop
        let endpoint: QUICNIOEndpoint
        do {
            endpoint = try await QUICNIOEndpoint.bind(
                host: settings.listen.host, port: Int(settings.listen.port), configuration: configuration,
                options: options, group: loop, logger: logger,
                acceptOnLoop: { connection in
                    guard let id = forwarder.value.accept(connection) else { return }
                    let roots = forwarder.value.trustRoots
                    let chain = connection.peerCertificateChain
                    Task {
                        let result = await Self.verify(chain: chain, roots: roots)
                        loop.execute { forwarder.value.verified(id, result) }
                    }
                })
        } catch {
            throw StartupError("listen \(settings.listen): cannot bind the UDP socket: \(error)")
        }
        state.withLock { $0.endpoint = endpoint }
        logger.notice("relay listening", metadata: [
            "address": "\(endpoint.localAddress.hostPortText)", "relay.name": "\(relayName)", "retry": "\(settings.retry)",
        ])
        return endpoint.localAddress
    }

    /// The server settings of each accepted connection (DESIGN.md §3: idle 30 s, DATAGRAM required; the relay
    /// carries no streams, so it allows none and keeps no stream buffers).
    private func serverConfiguration(_ tls: TLSContext) -> QUICConfiguration {
        var quic = QUICConfiguration(tls: tls)
        quic.maxIdleTimeout = .seconds(30)
        // DESIGN.md §4: relay connections use the full path MTU so a tunnel packet of ~1 400 bytes fits in one
        // relay DATAGRAM (Ethernet: 1500 − 40 IPv6 − 8 UDP).
        quic.maxUDPPayloadSize = 1452
        quic.initialMaxStreamsBidi = 0
        quic.initialMaxStreamsUni = 0
        quic.initialMaxData = 0
        quic.initialMaxStreamData = 0
        quic.datagramSendQueueLimit = settings.datagramQueueDepth
        quic.datagramReceiveQueueLimit = settings.datagramQueueDepth
        return quic
    }

    static func verify(chain: [[UInt8]], roots: TrustRoots) async -> Result<PeerIdentity, IdentityError> {
        do {
            return .success(try await PeerIdentity.verify(chain: chain, trustRoots: roots, now: Date(),
                                                          requiring: .clientAuth))
        } catch {
            return .failure(error)
        }
    }

    // MARK: - Service

    /// Serves until graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`) or cancellation, then closes.
    public func run() async throws {
        if state.withLock({ $0.endpoint }) == nil { try await start() }
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops accepting, closes every connection with CONNECTION_CLOSE (`shutdown`) and drains for up to 3 s.
    /// Idempotent.
    public func shutdown() async {
        let endpoint: QUICNIOEndpoint? = state.withLock { state in
            defer { state.stopping = true }
            return state.stopping ? nil : state.endpoint
        }
        guard let endpoint else { return }
        logger.notice("relay shutting down: closing connections")
        let forwarder = self.forwarder
        _ = try? await loop.submit { forwarder.value.accepting = false }.get()
        await endpoint.close()
        logger.notice("relay stopped")
    }

    // MARK: - Reload (SIGHUP)

    /// Loads certificate, key, CA bundle and revocation list again. New handshakes use them at once;
    /// established connections stay, except those whose certificate is revoked or no longer verifies.
    /// On error nothing changes and the relay keeps running with the old files.
    /// - Returns: how many clients were disconnected.
    @discardableResult
    public func reload() async throws(StartupError) -> Int {
        let credentials = try RelayCredentials.load(settings)
        guard let endpoint = state.withLock({ state -> QUICNIOEndpoint? in
            state.credentials = credentials
            return state.endpoint
        }) else { return 0 }
        await endpoint.replaceServerConfiguration(serverConfiguration(credentials.tls))
        let forwarder = self.forwarder
        let chains = (try? await loop.submit { forwarder.value.replaceTrust(credentials) }.get()) ?? []
        var disconnected = 0
        for (id, chain) in chains {
            var failure: String?
            switch await Self.verify(chain: chain, roots: credentials.trustRoots) {
            case .failure(let error):
                failure = error.message
            case .success(let peer) where credentials.revocations.contains(peer):
                failure = "certificate \(peer.name) serial \(peer.serial) is revoked"
            case .success:
                break
            }
            if let failure {
                disconnected += 1
                loop.execute { forwarder.value.refuse(id, .unauthorized, detail: failure) }
            }
        }
        logger.notice("relay reloaded credentials", metadata: [
            "revoked.serials": "\(credentials.revocations.serials.count)", "disconnected": "\(disconnected)",
        ])
        return disconnected
    }

    // MARK: - Observation

    /// The bound UDP address, once started.
    public var localAddress: SocketAddress? {
        state.withLock { $0.endpoint?.localAddress }
    }

    /// `/readyz`: ready while listening and not shutting down.
    public func readiness() -> Readiness {
        state.withLock { state in
            if state.stopping { return .notReady(reason: "shutting down") }
            return state.endpoint == nil ? .notReady(reason: "not listening yet") : .ready
        }
    }

    /// `/api/v1/status`.
    public func status() async -> RelayStatusReport {
        let forwarder = self.forwarder
        let (connections, verifying) = (try? await loop.submit {
            (forwarder.value.status, forwarder.value.metrics.verifying)
        }.get()) ?? ([], 0)
        let handshakes = await state.withLock({ $0.endpoint })?.statistics.handshakesInProgress ?? 0
        return RelayStatusReport(
            listen: localAddress?.hostPortText ?? "\(settings.listen)", relayName: relayName,
            startedAt: startedAt, retry: settings.retry.rawValue, connections: connections,
            services: RelayServiceReport.from(connections), verifying: verifying, handshakesInProgress: handshakes)
    }

    private func publishMetrics() async {
        guard let endpoint = state.withLock({ $0.endpoint }) else { return }
        let forwarder = self.forwarder
        guard let snapshot = try? await loop.submit({ forwarder.value.metrics }).get() else { return }
        publisher.publish(snapshot, endpoint: await endpoint.statistics)
    }
}
