import NIOCore
import NIOPosix
import ZTNAConfig
import ZTNAProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens the connector's sockets towards a service's backends (DESIGN.md §5: host names are resolved with
/// DNS at use time, never at start-up, and never on an event loop).
enum BackendDialer {
    // MARK: - TCP

    /// Connects to `backend` within `timeout` (resolution included) and returns the socket ready to splice,
    /// or the connect status that explains the failure: `01` when the backend refused (ECONNREFUSED on every
    /// address tried), `02` for everything else (no such name, no route, timeout).
    static func connectTCP(to backend: HostPort, timeout: TimeAmount,
                           group: any EventLoopGroup) async -> Result<TunnelSocket, ConnectFailure> {
        do {
            // Happy Eyeballs (RFC 8305) over getaddrinfo run off the event loop; the timeout covers it all.
            let socket = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .tunnelSocketOptions()
                .connect(host: backend.host, port: Int(backend.port)) { channel in
                    channel.eventLoop.makeCompletedFuture { try TunnelSocket.install(on: channel) }
                }
            return .success(socket)
        } catch {
            return .failure(ConnectFailure(status: status(for: error), error: error))
        }
    }

    /// Why a backend connect failed, and the status byte that tells the agent.
    struct ConnectFailure: Error {
        var status: TCPConnectStatus
        var error: any Error
    }

    /// `01` when the backend actively refused, `02` otherwise (DESIGN.md §4).
    static func status(for error: any Error) -> TCPConnectStatus {
        if let io = error as? IOError, io.errnoCode == ECONNREFUSED { return .refused }
        if let connection = error as? NIOConnectionError {
            let refused = connection.connectionErrors.contains { failure in
                (failure.error as? IOError)?.errnoCode == ECONNREFUSED
            }
            if refused { return .refused }
        }
        return .unreachable
    }

    // MARK: - UDP

    /// The backend's address: an IP literal directly, a host name through getaddrinfo on the NIO thread pool
    /// (a blocking call, kept off the event loops). nil when the name does not resolve.
    static func resolveUDP(_ backend: HostPort) async -> SocketAddress? {
        if let literal = try? SocketAddress(ipAddress: backend.host, port: Int(backend.port)) { return literal }
        let host = backend.host
        let port = Int(backend.port)
        return try? await NIOThreadPool.singleton.runIfActive {
            try SocketAddress.makeAddressResolvingHost(host, port: port)
        }
    }
}
