public import Logging
public import NIOCore
public import NIOPosix
public import QUICCore

/// A QUIC server: an endpoint with server settings, yielding connections whose handshake completed.
public final class QUICServer: Sendable {
    /// The endpoint (UDP socket) the server listens on; it can also start client connections.
    public let endpoint: QUICNIOEndpoint

    private init(endpoint: QUICNIOEndpoint) {
        self.endpoint = endpoint
    }

    /// Listens on `host:port` (port 0: an ephemeral port, see `localAddress`).
    ///
    /// - Throws: `QUICNIOError.invalidConfiguration` when `configuration.server` is nil, or the socket error.
    public static func bind(host: String = "127.0.0.1", port: Int, configuration: QUICEndpointConfiguration,
                            options: QUICNIOOptions = QUICNIOOptions(),
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            logger: Logger = Logger(label: "ztna.quic")) async throws -> QUICServer {
        guard configuration.server != nil else {
            throw QUICNIOError.invalidConfiguration("a server endpoint needs QUICEndpointConfiguration.server")
        }
        let endpoint = try await QUICNIOEndpoint.bind(host: host, port: port, configuration: configuration,
                                                      options: options, group: group, logger: logger)
        return QUICServer(endpoint: endpoint)
    }

    /// Accepted connections, once their handshake completed (the client's certificate, when required, was
    /// verified). Single consumer; ends when the server closes.
    public var connections: AsyncStream<QUICNIOConnection> { endpoint.incomingConnections }

    /// The address the server listens on.
    public var localAddress: SocketAddress { endpoint.localAddress }

    /// Retry, Version Negotiation, stateless reset and drop counters.
    public var statistics: QUICEndpointStatistics {
        get async { await endpoint.statistics }
    }

    /// Closes every connection gracefully (CONNECTION_CLOSE, closing period up to the drain timeout), then
    /// the socket.
    public func close() async {
        await endpoint.close()
    }
}
