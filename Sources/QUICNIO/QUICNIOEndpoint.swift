public import Logging
public import NIOCore
public import NIOPosix
public import QUICCore

/// One UDP socket's worth of QUIC: a NIO `DatagramChannel` driving a sans-IO `QUICEndpoint` (DESIGN.md §2).
///
/// The endpoint can accept connections (when its configuration has server settings; they arrive on
/// `incomingConnections`) and start client connections, on UDP paths and on relayed paths: transmits to a
/// `.relayed(route)` destination go to `relayedTransmitHandler`, and packets that arrived through the relay
/// are fed in with `receiveRelayed(_:route:)`.
///
/// The socket stays open until `close()` (an endpoint `QUICClient` creates for one connection closes itself
/// once that connection is gone).
///
/// Thread safety: all QUIC state lives on the channel's event loop; the methods hop there. The object itself
/// holds only constants, a `NIOLoopBound` reference to the loop-side handler, and a lock-protected callback.
public final class QUICNIOEndpoint: Sendable {
    /// The local address of the UDP socket.
    public let localAddress: SocketAddress
    /// The event loop that owns the socket and every connection of the endpoint.
    public let eventLoop: any EventLoop
    /// Server: connections whose handshake completed, in order. Ends when the endpoint closes.
    public let incomingConnections: AsyncStream<QUICNIOConnection>

    private let channel: any Channel
    private let handler: NIOLoopBound<QUICChannelHandler>
    private let relayed: RelayedTransmitHandlerBox

    private init(channel: any Channel, localAddress: SocketAddress, handler: NIOLoopBound<QUICChannelHandler>,
                 incomingConnections: AsyncStream<QUICNIOConnection>, relayed: RelayedTransmitHandlerBox) {
        self.channel = channel
        self.localAddress = localAddress
        eventLoop = channel.eventLoop
        self.handler = handler
        self.incomingConnections = incomingConnections
        self.relayed = relayed
    }

    // MARK: - Creating

    /// Binds a UDP socket on `host:port` (port 0: an ephemeral port) and starts the endpoint on it.
    ///
    /// The socket reads datagrams in batches (`recvmmsg`, `options.vectorReadMessageCount` at a time, each up
    /// to `options.maxDatagramSize` bytes) and writes each flush's datagrams with GSO where the kernel supports it.
    ///
    /// - Parameter acceptOnLoop: server: called on the event loop with each connection whose handshake
    ///   completed, before any of its events is delivered — so an application that runs on the loop (the
    ///   relay) can install `setDatagramHandlerOnLoop` without missing a datagram. Such connections are not
    ///   yielded to `incomingConnections`.
    public static func bind(host: String = "127.0.0.1", port: Int = 0,
                            configuration: QUICEndpointConfiguration = QUICEndpointConfiguration(),
                            options: QUICNIOOptions = QUICNIOOptions(),
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            logger: Logger = Logger(label: "ztna.quic"),
                            acceptOnLoop: (@Sendable (QUICNIOConnection) -> Void)? = nil) async throws -> QUICNIOEndpoint {
        let (incoming, incomingOut) = AsyncStream.makeStream(of: QUICNIOConnection.self)
        let relayed = RelayedTransmitHandlerBox()
        let seed = Self.randomSeed()
        var bootstrap = DatagramBootstrap(group: group)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: options.receiveBufferCapacity))
        if let size = options.socketReceiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(clamping: size))
        }
        if let size = options.socketSendBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(clamping: size))
        }
        #if os(Linux)
        // Vector reads (recvmmsg) are a Linux feature in NIO.
        bootstrap = bootstrap.channelOption(.datagramVectorReadMessageCount, value: max(1, options.vectorReadMessageCount))
        #endif
        bootstrap = bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let handler = QUICChannelHandler(
                    endpoint: QUICEndpoint(configuration: configuration, randomSeed: seed), eventLoop: channel.eventLoop,
                    options: options, logger: logger, incoming: incomingOut, relayed: relayed,
                    acceptOnLoop: acceptOnLoop)
                try channel.pipeline.syncOperations.addHandler(handler)
            }
        }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        do {
            let handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: QUICChannelHandler.self),
                             eventLoop: channel.eventLoop)
            }.get()
            guard let localAddress = channel.localAddress else { throw ChannelError.inappropriateOperationForState }
            return QUICNIOEndpoint(channel: channel, localAddress: localAddress, handler: handler,
                                   incomingConnections: incoming, relayed: relayed)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// 32 bytes of OS entropy for the endpoint's `QUICRandom` (connection IDs, tokens, path challenges).
    private static func randomSeed() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var seed: [UInt8] = []
        seed.reserveCapacity(32)
        for _ in 0..<4 { withUnsafeBytes(of: generator.next() as UInt64) { seed.append(contentsOf: $0) } }
        return seed
    }

    // MARK: - Client connections

    /// Connects to `remote` and returns once the handshake completed (RFC 9001 §4.1.1).
    ///
    /// The server may still reject our certificate after our handshake completed (TLS 1.3 sends the client's
    /// certificate in its last flight); that surfaces as the connection closing with the peer's CRYPTO_ERROR.
    ///
    /// - Throws: `.connectionClosed(reason)` when the handshake failed (peer's CONNECTION_CLOSE, handshake
    ///   timeout, …), `.tls` when the TLS context cannot start, `.endpointClosed`, `.cancelled`.
    public func connect(to remote: PathAddress, serverName: String?,
                        configuration: QUICConfiguration) async throws(QUICNIOError) -> QUICNIOConnection {
        try await connect(to: remote, serverName: serverName, configuration: configuration, closesEndpointWhenIdle: false)
    }

    /// Connects to a UDP address. See `connect(to:serverName:configuration:)` for paths.
    public func connect(to address: SocketAddress, serverName: String?,
                        configuration: QUICConfiguration) async throws(QUICNIOError) -> QUICNIOConnection {
        try await connect(to: .udp(address), serverName: serverName, configuration: configuration)
    }

    func connect(to remote: PathAddress, serverName: String?, configuration: QUICConfiguration,
                 closesEndpointWhenIdle: Bool) async throws(QUICNIOError) -> QUICNIOConnection {
        let handler = self.handler
        return try await eventLoop.waitOnLoop(
            register: { waiter in
                handler.value.connect(to: remote, serverName: serverName, configuration: configuration,
                                      closesEndpointWhenIdle: closesEndpointWhenIdle, waiter: waiter)
            },
            cancel: { token in handler.value.cancelConnect(token) }
        ).get()
    }

    // MARK: - Relayed paths (DESIGN.md §1)

    /// Receives every datagram the endpoint sends to a `.relayed(route)` path, on the event loop. The
    /// application wraps it for the relay (a relay DATAGRAM). nil: such transmits are dropped.
    public var relayedTransmitHandler: (@Sendable (RelayRoute, [UInt8]) -> Void)? {
        get { relayed.handler }
        set { relayed.handler = newValue }
    }

    /// Feeds a QUIC packet that arrived through the relay on `route`.
    public func receiveRelayed(_ bytes: [UInt8], route: RelayRoute) {
        let handler = self.handler
        eventLoop.execute { handler.value.receiveRelayed(bytes, route: route) }
    }

    // MARK: - Observation

    /// A snapshot of the endpoint's stateless counters (Retry, Version Negotiation, stateless resets, drops).
    public var statistics: QUICEndpointStatistics {
        get async {
            let handler = self.handler
            return await eventLoop.runOnLoop { handler.value.endpoint.statistics }
        }
    }

    /// Connections the endpoint currently knows (including closing ones and handshakes in progress).
    public var connectionCount: Int {
        get async {
            let handler = self.handler
            return await eventLoop.runOnLoop { handler.value.endpoint.connectionCount }
        }
    }

    /// Whether writes currently use UDP segmentation offload.
    public var usesSegmentationOffload: Bool {
        get async {
            let handler = self.handler
            return await eventLoop.runOnLoop { handler.value.usesSegmentationOffload }
        }
    }

    /// Replaces the settings (TLS context included) of connections accepted from now on: a certificate, key or
    /// CA reload without dropping established connections.
    public func replaceServerConfiguration(_ server: QUICConfiguration) async {
        let handler = self.handler
        await eventLoop.runOnLoop { handler.value.endpoint.replaceServerConfiguration(server) }
    }

    // MARK: - Closing

    /// Closes every connection with CONNECTION_CLOSE (application error 0), waits for their closing periods
    /// (RFC 9000 §10.2) up to `options.drainTimeout`, then closes the socket. Idempotent.
    public func close() async {
        let handler = self.handler
        await withCheckedContinuation { continuation in
            handler.eventLoop.execute { handler.value.close(continuation: continuation) }
        }
    }
}
