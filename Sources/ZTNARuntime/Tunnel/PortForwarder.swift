public import IPPacket
public import Logging
public import NIOCore
import NIOPosix
import QUICCore
import QUICNIO
import Synchronization
public import ZTNAConfig
public import ZTNAProtocol

/// The agent's port-forward mode for one `ForwardConfig` (DESIGN.md §4, §5: no root needed): a local port
/// whose traffic rides the service's tunnel.
///
/// - TCP: each accepted connection opens a stream on the tunnel, sends `TCP_CONNECT port`, reads the status;
///   `00` splices the socket to the stream (`TunnelStreamSplice`), anything else resets the local socket.
/// - UDP: each local client address is a flow with its own source port on the agent's tunnel address; its
///   datagrams become IP/UDP packets (tunnel address:flow port → virtual IP:port) sent as tunnel DATAGRAMs.
///   Replies come back through `deliver(ipPacket:)`, which the control plane calls with every DATAGRAM of the
///   service's tunnel (it owns the connection's `datagrams`).
///
/// The tunnel connection comes from the `TunnelOpener` on demand, for every TCP connection and whenever the
/// UDP path has none (or the one it had closed).
public final class PortForwarder: Sendable {
    /// What is forwarded.
    public let forward: ForwardConfig
    /// The forwarded service and its virtual IP (the destination of UDP packets).
    public let service: AgentService
    /// The agent's address inside the tunnel (the source of UDP packets).
    public let tunnelAddress: IPAddress
    let virtualIP: IPAddress
    let opener: any TunnelOpener
    let counters: TunnelCounters
    let limits: TunnelLimits
    let logger: Logger
    let group: any EventLoopGroup
    let flows: AgentUDPFlows
    let state = Mutex(State.idle)
    /// The tunnel the UDP path sends on, until it closes.
    let udpTunnel = Mutex<QUICNIOConnection?>(nil)
    let outgoing: AsyncStream<[UInt8]>
    let outgoingInput: AsyncStream<[UInt8]>.Continuation

    enum State {
        case idle
        /// `start()` is binding the socket.
        case starting
        case running(Running)
        case closed
    }

    struct Running {
        /// The listening TCP socket or the local UDP socket.
        var listener: any Channel
        /// The accept loop (TCP) or the sender and the idle sweep (UDP).
        var tasks: [Task<Void, Never>]
    }

    /// The agent's tunnel address when none is configured: the last usable address of the default pool
    /// (`10.100.0.0/24`, DESIGN.md §5), or its IPv6 ULA counterpart for an IPv6 virtual IP.
    public static func defaultTunnelAddress(for virtualIP: IPAddress) -> IPAddress {
        switch virtualIP {
        case .v4: .v4(IPv4Address(10, 100, 0, 254))
        case .v6: .v6(IPv6Address(high: 0xFD00_0000_0000_0000, low: 0xFFFE))
        }
    }

    /// A configuration literal as a packet address (`IPAddressLiteral` holds exactly 4 or 16 bytes).
    static func address(of literal: IPAddressLiteral) -> IPAddress {
        let bytes = literal.bytes
        if literal.isIPv4, bytes.count == 4 {
            return .v4(IPv4Address(bytes[0], bytes[1], bytes[2], bytes[3]))
        }
        return .v6(IPv6Address(bytes: bytes) ?? IPv6Address(high: 0, low: 0))
    }

    // MARK: - Lifecycle

    /// - Parameters:
    ///   - tunnelAddress: the agent's address in the tunnel; nil: `defaultTunnelAddress(for:)`. Must be of the
    ///     virtual IP's family.
    ///   - limits: `maxFlowsPerTunnel` and `udpFlowIdleTimeout` bound this forwarder's UDP flows.
    public init(forward: ForwardConfig, service: AgentService, tunnelAddress: IPAddress? = nil,
                opener: any TunnelOpener, counters: TunnelCounters, limits: TunnelLimits = TunnelLimits(),
                logger: Logger, group: any EventLoopGroup) {
        self.forward = forward
        self.service = service
        let virtualIP = Self.address(of: service.virtualIP)
        self.virtualIP = virtualIP
        self.tunnelAddress = tunnelAddress ?? Self.defaultTunnelAddress(for: virtualIP)
        self.opener = opener
        self.counters = counters
        self.limits = limits
        var logger = logger
        logger[metadataKey: "forward"] = "\(forward.protocol):\(forward.listen)=\(forward.service):\(forward.port)"
        self.logger = logger
        self.group = group
        flows = AgentUDPFlows(pool: .shared, limit: limits.maxFlowsPerTunnel, idleTimeout: limits.udpFlowIdleTimeout,
                              counters: counters)
        (outgoing, outgoingInput) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingOldest(1_024))
    }

    /// Binds the local socket and starts forwarding; returns the bound address (its real port when the
    /// configuration asks for port 0).
    public func start() async throws -> SocketAddress {
        guard forward.service == service.id else { throw PortForwarderError.serviceMismatch(forward.service, service.id) }
        guard IPAddressPair(source: tunnelAddress, destination: virtualIP) != nil else {
            throw PortForwarderError.addressFamilyMismatch(tunnelAddress: tunnelAddress, virtualIP: virtualIP)
        }
        let claimed = state.withLock { state in
            guard case .idle = state else { return false }
            state = .starting
            return true
        }
        guard claimed else { throw PortForwarderError.alreadyStarted }
        let running: Running
        do {
            switch forward.protocol {
            case .tcp: running = try await startTCP()
            case .udp: running = try await startUDP()
            }
        } catch {
            state.withLock { state in
                if case .starting = state { state = .idle }
            }
            throw error
        }
        let installed = state.withLock { state in
            guard case .starting = state else { return false }
            state = .running(running)
            return true
        }
        guard installed else {
            // `close()` came while the socket was being bound.
            await stop(running)
            throw PortForwarderError.closed
        }
        let address = running.listener.localAddress
        logger.info("forwarding", metadata: ["local": "\(address?.hostPortText ?? "?")"])
        guard let address else { throw PortForwarderError.closed }
        return address
    }

    /// Stops listening and ends every flow: TCP connections are reset (and their streams reset), UDP flows
    /// forgotten. Returns once everything is closed. Idempotent.
    public func close() async {
        let previous = state.withLock { state in
            defer { state = .closed }
            return state
        }
        guard case .running(let running) = previous else { return }
        await stop(running)
    }

    private func stop(_ running: Running) async {
        try? await running.listener.close()
        outgoingInput.finish()
        for task in running.tasks { task.cancel() }
        for task in running.tasks { await task.value }
        flows.closeAll()
    }

    // MARK: - TCP

    private func startTCP() async throws -> Running {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .tunnelChildSocketOptions()
            .bind(host: forward.listen.host, port: Int(forward.listen.port)) { channel in
                channel.eventLoop.makeCompletedFuture { try TunnelSocket.install(on: channel) }
            }
        let accept = Task { await self.acceptLoop(server) }
        return Running(listener: server.channel, tasks: [accept])
    }

    private func acceptLoop(_ server: NIOAsyncChannel<TunnelSocket, Never>) async {
        try? await server.executeThenClose { inbound in
            // Ends when the listener closes or the task is cancelled; cancellation reaches every connection.
            try await withThrowingDiscardingTaskGroup { group in
                for try await socket in inbound {
                    group.addTask { await self.serveTCP(socket) }
                }
            }
        }
    }

    /// One local TCP connection: stream, `TCP_CONNECT`, status, then the splice.
    private func serveTCP(_ socket: TunnelSocket) async {
        let stream: QUICNIOStream
        do {
            let connection = try await opener.tunnel(for: forward.service)
            stream = try await connection.openStream()
        } catch {
            if let quic = error as? QUICNIOError, case .stream(.streamLimitReached) = quic {
                counters.drop(.streamLimit)
            } else {
                counters.drop(.noTunnel)
            }
            logger.info("no tunnel stream for a local connection; reset", metadata: ["error": "\(error)"])
            socket.close(reset: true)
            return
        }
        let status: TCPConnectStatus?
        do throws(QUICNIOError) {
            try await stream.write(TCPConnectRequest(port: forward.port).bytes)
            // Exactly one byte: what follows it is the backend's byte stream.
            status = try await stream.read(maxBytes: TCPConnectStatus.wireLength).flatMap { try? TCPConnectStatus(parsing: $0) }
        } catch {
            status = nil
        }
        guard let status, status == .connected else {
            if let status { counters.recordTCPStream(status) }
            logger.info("connector answered \(status.map(\.description) ?? "nothing"); local connection reset",
                        metadata: ["port": "\(forward.port)"])
            let code = status == nil ? TunnelErrorCode.aborted : TunnelErrorCode.notConnected
            stream.stopSending(errorCode: code)
            stream.reset(errorCode: code)
            socket.close(reset: true)
            return
        }
        counters.recordTCPStream(.connected)
        let outcome = await TunnelStreamSplice(stream: stream, socket: socket, side: .agent, counters: counters).run()
        logger.trace("TCP flow ended", metadata: ["outcome": "\(outcome)"])
    }
}

// MARK: - Errors

/// Why a `PortForwarder` did not start.
public enum PortForwarderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The forward names another service than the `AgentService` it was given.
    case serviceMismatch(ServiceID, ServiceID)
    /// The tunnel address and the virtual IP are not of one family (an IP packet needs both in one).
    case addressFamilyMismatch(tunnelAddress: IPAddress, virtualIP: IPAddress)
    /// `start()` was called twice, or after `close()`.
    case alreadyStarted
    /// The forwarder was closed while `start()` was binding its socket.
    case closed

    public var description: String {
        switch self {
        case .serviceMismatch(let forward, let service):
            "the forward is for service \"\(forward)\", the service given is \"\(service)\""
        case .addressFamilyMismatch(let tunnelAddress, let virtualIP):
            "tunnel address \(tunnelAddress) and virtual IP \(virtualIP) are not of the same IP version"
        case .alreadyStarted: "the forwarder was started already (or closed)"
        case .closed: "the forwarder was closed while starting"
        }
    }
}

