import Hummingbird
public import Logging
public import NIOCore
import NIOPosix
public import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// MARK: - AdminServer

/// The admin HTTP server every daemon runs (DESIGN.md §8), a swift-service-lifecycle `Service`.
///
/// Routes (`GET` and `HEAD` only; other methods 405, other paths 404):
/// - `/metrics`: Prometheus text from the given ``MetricsRegistry`` (collect hooks run first);
/// - `/healthz`: 200 `ok` while the process serves requests;
/// - `/readyz`: 200 `ready` or 503 with the reason from the readiness closure;
/// - `/api/v1/status`: the status closure's value as JSON (sorted keys, ISO-8601 dates);
/// - `/`: a self-contained HTML page that renders the status JSON, refreshed every 2 s.
///
/// Run it in a `ServiceGroup`; graceful shutdown of the group stops accepting connections, lets in-flight
/// requests finish, and ends ``run()``. The address is checked in `init` (loopback unless explicitly allowed).
public final class AdminServer: Service, Sendable {
    public typealias Configuration = AdminServerConfiguration

    /// The validated configuration.
    public let configuration: Configuration
    /// The literal address `run()` binds (its port may be 0).
    public let bindAddress: SocketAddress

    private let application: Application<AdminResponder>
    private let listening: AdminListeningState
    private let logger: Logger

    // MARK: - Initialization

    /// An admin server; nothing is bound before ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: Role, address and the non-loopback opt-in.
    ///   - registry: The registry `/metrics` renders (``ZTNAMetrics/process`` in a daemon, a private one in tests).
    ///   - logger: For the server's own events.
    ///   - eventLoopGroup: Where the HTTP server runs; `nil` for NIO's shared singleton group.
    ///   - readiness: Asked on every `/readyz`.
    ///   - status: Asked on every `/api/v1/status`; each role passes its own `Encodable` status struct.
    /// - Throws: ``AdminServerError`` `.invalidAddress`, `.invalidPort` or `.nonLoopbackRefused`.
    public init<Status: Encodable & Sendable>(
        configuration: Configuration,
        registry: MetricsRegistry,
        logger: Logger,
        eventLoopGroup: (any EventLoopGroup)? = nil,
        readiness: @escaping @Sendable () async -> Readiness,
        status: @escaping @Sendable () async -> Status
    ) throws(AdminServerError) {
        let address = try configuration.validatedBindAddress()
        let listening = AdminListeningState()
        let responder = AdminResponder(
            role: configuration.role,
            registry: registry,
            readiness: readiness,
            status: { Self.encode(await status()) }
        )
        // The bound literal, not a name: what the operator configured is exactly what listens.
        let host = address.ipAddress ?? "127.0.0.1"
        self.configuration = configuration
        self.bindAddress = address
        self.listening = listening
        self.logger = logger
        self.application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: configuration.port)),
            onServerRunning: { channel in
                if let local = channel.localAddress {
                    listening.markListening(local)
                    logger.info(
                        "admin server listening",
                        metadata: ["address": "\(Self.display(local))", "role": "\(configuration.role)"]
                    )
                } else {
                    listening.markFinished(AdminServerError(.serverFailed, "listening socket has no local address"))
                }
            },
            eventLoopGroupProvider: .shared(eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton),
            logger: logger
        )
    }

    // MARK: - Getters

    /// The address actually bound (with the real port when 0 was configured), once listening.
    public var listeningAddress: SocketAddress? {
        self.listening.address
    }

    /// Waits until the server listens and returns the bound address.
    /// - Throws: ``AdminServerError`` if the server failed or stopped first, or the waiting task was cancelled.
    public func waitUntilListening() async throws(AdminServerError) -> SocketAddress {
        try await self.listening.wait()
    }

    // MARK: - Service

    /// Binds and serves until graceful shutdown (or cancellation) of the enclosing `ServiceGroup`.
    /// - Throws: ``AdminServerError`` `.serverFailed` if binding or serving fails.
    public func run() async throws {
        do {
            try await self.application.run()
        } catch {
            let failure = AdminServerError(.serverFailed, "\(self.bindAddress): \(error)")
            self.listening.markFinished(failure)
            throw failure
        }
        self.listening.markFinished(AdminServerError(.stopped, "admin server stopped"))
        self.logger.info("admin server stopped", metadata: ["role": "\(self.configuration.role)"])
    }

    /// `127.0.0.1:9090` or `[::1]:9090`, as an operator would type it.
    static func display(_ address: SocketAddress) -> String {
        address.hostPortText
    }

    // MARK: - Status encoding

    /// Stable output for diffing and tests: sorted keys, ISO-8601 dates, no escaped slashes.
    static func encode(_ status: some Encodable) -> Result<[UInt8], AdminStatusEncodingError> {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return .success(Array(try encoder.encode(status)))
        } catch {
            return .failure(AdminStatusEncodingError(description: "\(error)"))
        }
    }
}
