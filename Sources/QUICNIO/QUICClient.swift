public import Logging
public import NIOCore
public import NIOPosix
public import QUICCore

/// Client connections over UDP.
public enum QUICClient {
    /// Connects to `address` and returns once the handshake completed.
    ///
    /// - Parameters:
    ///   - serverName: TLS SNI and the name the server's certificate must match.
    ///   - endpoint: the endpoint (UDP socket) to use. nil: a new endpoint on an ephemeral port of the
    ///     loopback address for a loopback server, of the wildcard address otherwise; it closes itself once
    ///     the connection is gone.
    /// - Throws: `QUICNIOError` (see `QUICNIOEndpoint.connect`), or the socket error when binding fails.
    public static func connect(to address: SocketAddress, serverName: String?, configuration: QUICConfiguration,
                               endpoint: QUICNIOEndpoint? = nil, options: QUICNIOOptions = QUICNIOOptions(),
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                               logger: Logger = Logger(label: "ztna.quic")) async throws -> QUICNIOConnection {
        if let endpoint {
            return try await endpoint.connect(to: .udp(address), serverName: serverName, configuration: configuration)
        }
        let own = try await QUICNIOEndpoint.bind(host: localHost(for: address), port: 0, options: options,
                                                 group: group, logger: logger)
        // The endpoint closes itself once the connection is gone, including a failed handshake's (after its
        // closing period, RFC 9000 §10.2), so a failure returns at once.
        return try await own.connect(to: .udp(address), serverName: serverName, configuration: configuration,
                                     closesEndpointWhenIdle: true)
    }

    /// The local address to bind for reaching `remote`: its own loopback for a loopback server (the
    /// connection never leaves the host), otherwise the wildcard address of its family.
    static func localHost(for remote: SocketAddress) -> String {
        switch remote {
        case .v6:
            return remote.ipAddress == "::1" ? "::1" : "::"
        default:
            if let ip = remote.ipAddress, ip.hasPrefix("127.") { return "127.0.0.1" }
            return "0.0.0.0"
        }
    }
}
