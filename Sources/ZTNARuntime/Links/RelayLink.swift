public import Logging
import NIOCore
import NIOPosix
public import QUICCore
public import QUICNIO
public import QUICTLS
import Synchronization
public import ZTNAConfig
public import ZTNAProtocol

/// One client connection to one relay (DESIGN.md §3, §8), kept up for as long as `run()` runs: connect (host
/// names resolved at each attempt), REGISTER every service with retries, report what the relay says, carry
/// tunnel packets, and after any loss reconnect with backoff measured from handshake completion. Shared by
/// connectors (one link per configured relay) and agents (one active link, failing over in order).
///
/// The link shares its owner's `QUICNIOEndpoint` (one UDP socket for everything, DESIGN.md §5) and delivers
/// events on that endpoint's event loop.
public final class RelayLink: Sendable {
    public let relay: HostPort
    private let endpoint: QUICNIOEndpoint
    /// Replaced by `replaceTLS(_:)` (SIGHUP); read at each connection attempt.
    private let configuration: Mutex<QUICConfiguration>
    private let box: NIOLoopBoundBox<RelayLinkState>
    private let logger: Logger
    /// How long one connection attempt may take to complete its handshake.
    public static let handshakeTimeout: Duration = .seconds(5)

    /// The QUIC settings of a relay connection: ALPN `ztna-v1`, DATAGRAM, PING every 10 s (idle timeout 30 s),
    /// and full Ethernet-size packets so a ~1 400-byte tunnel packet fits in one relay DATAGRAM (DESIGN.md §4).
    public static func quicConfiguration(tls: TLSContext) -> QUICConfiguration {
        var quic = QUICConfiguration(tls: tls)
        quic.maxIdleTimeout = .seconds(30)
        quic.keepAliveInterval = .seconds(10)
        quic.maxUDPPayloadSize = 1452
        quic.initialMaxStreamsBidi = 0
        quic.initialMaxStreamsUni = 0
        return quic
    }

    /// A client TLS context for relay connections (ALPN `ztna-v1`, the node's certificate, the deployment CA;
    /// the relay's name is verified against `HostPort.host`).
    public static func tlsContext(certificate: String, privateKey: String, trustRoots: String) throws -> TLSContext {
        var tls = TLSConfiguration(role: .client, alpn: [ZTNAALPN.relay])
        tls.certificateChainFile = certificate
        tls.privateKeyFile = privateKey
        tls.trustRootsFile = trustRoots
        return try TLSContext(configuration: tls)
    }

    public init(relay: HostPort, endpoint: QUICNIOEndpoint, tls: TLSContext, role: RelaySession.Role,
                services: [ServiceID], logger: Logger, events: @escaping @Sendable (RelayLinkEvent) -> Void) {
        self.relay = relay
        self.endpoint = endpoint
        self.configuration = Mutex(Self.quicConfiguration(tls: tls))
        var logger = logger
        logger[metadataKey: "relay"] = "\(relay)"
        self.logger = logger
        let session = RelaySession(role: role, services: services, randomSeed: .random(in: .min ... .max))
        box = NIOLoopBoundBox.makeBoxSendingValue(
            RelayLinkState(session: session, logger: logger, events: events), eventLoop: endpoint.eventLoop)
    }

    // MARK: - Running

    /// Connects and stays connected until the task is cancelled; then closes the connection.
    /// - Parameter giveUpAfterFailures: return after this many consecutive attempts that did not complete a
    ///   handshake (an agent then fails over to its next relay); nil: never give up.
    public func run(giveUpAfterFailures: Int? = nil) async {
        var backoff = ReconnectBackoff()
        var random = SystemRandomNumberGenerator()
        var failures = 0
        while !Task.isCancelled {
            var connectedFor: Duration?
            do {
                let address = try await resolve()
                // A relay that is gone does not answer at all (an unconnected UDP socket hears no ICMP error):
                // give up on a handshake after `handshakeTimeout` instead of the idle timeout, so an agent fails
                // over in seconds.
                let endpoint = self.endpoint, configuration = self.configuration.withLock { $0 }, host = relay.host
                let connection = try await withTimeLimit(Self.handshakeTimeout, "handshake with relay \(relay)") {
                    try await endpoint.connect(to: address, serverName: host, configuration: configuration)
                }
                let established = ContinuousClock.now
                logger.notice("connected to relay", metadata: ["address": "\(address)"])
                let box = self.box
                let loop = endpoint.eventLoop
                try? await loop.submit { box.value.attach(connection, eventLoop: loop) }.get()
                let reason = await withTaskCancellationHandler {
                    await connection.closed
                } onCancel: {
                    Task { await connection.close(errorCode: 0, reason: "shutting down") }
                }
                connectedFor = ContinuousClock.now - established
                try? await loop.submit { box.value.detach(reason) }.get()
                if Task.isCancelled {
                    logger.info("relay connection closed", metadata: ["reason": "\(reason)"])
                } else {
                    logger.warning("relay connection lost", metadata: ["reason": "\(reason)"])
                }
            } catch {
                let box = self.box
                let message = "\(error)"
                try? await endpoint.eventLoop.submit { box.value.lastError = message }.get()
                logger.warning("cannot connect to relay", metadata: ["error": "\(error)"])
            }
            failures = connectedFor == nil ? failures + 1 : 0
            guard !Task.isCancelled else { break }
            if let giveUpAfterFailures, failures >= giveUpAfterFailures { return }
            let delay = backoff.nextDelay(connectedFor: connectedFor, using: &random)
            try? await Task.sleep(for: delay)
        }
    }

    /// The node's reloaded identity (DESIGN.md §7): used from the next connection attempt on. The live
    /// connection, authenticated with the previous certificate, is not dropped.
    public func replaceTLS(_ tls: TLSContext) {
        let quic = Self.quicConfiguration(tls: tls)
        configuration.withLock { $0 = quic }
    }

    /// Host names are resolved at every attempt (DESIGN.md §5), off the event loop.
    private func resolve() async throws -> SocketAddress {
        let relay = self.relay
        return try await NIOThreadPool.singleton.runIfActive {
            try SocketAddress.makeAddressResolvingHost(relay.host, port: Int(relay.port))
        }
    }

    // MARK: - On the event loop

    /// Agent: sends a tunnel packet to the connector serving `service`; false when not registered.
    public func sendServiceDatagramOnLoop(_ service: ServiceID, payload: ArraySlice<UInt8>) -> Bool {
        let state = box.value
        guard let bytes = state.session.serviceDatagram(for: service, payload: payload) else { return false }
        return state.send(bytes)
    }

    /// Connector: sends a tunnel packet to agent `peer` for `service`; false when not registered.
    public func sendPeerDatagramOnLoop(_ peer: PeerID, _ service: ServiceID, payload: ArraySlice<UInt8>) -> Bool {
        let state = box.value
        guard let bytes = state.session.peerDatagram(to: peer, for: service, payload: payload) else { return false }
        return state.send(bytes)
    }

    /// Whether every service is registered on a live connection.
    public var isRegisteredOnLoop: Bool {
        box.value.connection != nil && box.value.session.isFullyRegistered
    }

    /// Agent: whether a connector serves `service` (nil before the relay said).
    public func isAvailableOnLoop(_ service: ServiceID) -> Bool? {
        box.value.session.isAvailable(service)
    }

    // MARK: - Status

    public func status() async -> RelayLinkStatus {
        let box = self.box
        let relay = "\(self.relay)"
        return (try? await endpoint.eventLoop.submit { () -> RelayLinkStatus in
            let state = box.value
            var registrations: [String: String] = [:]
            var available: [String: Bool] = [:]
            for service in state.session.services {
                registrations["\(service)"] = switch state.session.state(of: service) {
                case .registered?: "registered"
                case .pending?: "pending"
                case .refused(let reason)?: "refused_\(reason.rawValue)"
                case nil: "unknown"
                }
                if let isAvailable = state.session.isAvailable(service) { available["\(service)"] = isAvailable }
            }
            return RelayLinkStatus(
                relay: relay, connected: state.connection != nil, registrations: registrations, available: available,
                observedAddress: state.session.observedAddress.map { "\($0)" }, connects: state.connects,
                lastError: state.lastError,
                rttMilliseconds: state.connection?.smoothedRTTOnLoop.map { Double($0.nanoseconds) / 1_000_000 })
        }.get()) ?? RelayLinkStatus(relay: relay, connected: false, registrations: [:], available: [:],
                                    observedAddress: nil, connects: 0, lastError: nil, rttMilliseconds: nil)
    }
}
