import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// MARK: - How a test socket's input ended

enum TunnelTestSocketEnd: Sendable, Equatable {
    /// The peer's FIN.
    case eof
    /// The peer's RST (ECONNRESET) or an equivalent error.
    case reset
    /// Another error, or the socket closed without either.
    case other(String)

    init(_ error: any Error) {
        if let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
            self = .reset
        } else {
            self = .other("\(error)")
        }
    }
}

/// Events of a test TCP socket, in order.
enum TunnelTestSocketEvent: Sendable {
    case data([UInt8])
    case end(TunnelTestSocketEnd)
}

/// Records a TCP channel's input as events (half-closure on: the FIN is an event, writing goes on).
private final class TunnelTestSocketRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let events: AsyncStream<TunnelTestSocketEvent>.Continuation
    /// NIO reports the peer's FIN after our own by closing the channel, without `inputClosed`.
    private var outputClosed = false

    init(_ events: AsyncStream<TunnelTestSocketEvent>.Continuation) {
        self.events = events
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        events.yield(.data(Array(buffer: Self.unwrapInboundIn(data))))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed: events.yield(.end(.eof))
        case ChannelEvent.outputClosed: outputClosed = true
        default: break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        events.yield(.end(TunnelTestSocketEnd(error)))
        events.finish()
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        events.yield(.end(outputClosed ? .eof : .other("closed")))
        events.finish()
    }
}

/// Reads a test socket's events in order (single consumer).
struct TunnelTestSocketReader {
    private var iterator: AsyncStream<TunnelTestSocketEvent>.Iterator

    init(_ events: AsyncStream<TunnelTestSocketEvent>) {
        iterator = events.makeAsyncIterator()
    }

    /// Bytes until `count` arrived or the input ended.
    mutating func read(count: Int) async -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count, let event = await iterator.next() {
            guard case .data(let chunk) = event else { break }
            bytes += chunk
        }
        return bytes
    }

    /// Everything until the input ends, and how it ended.
    mutating func readToEnd() async -> (bytes: [UInt8], end: TunnelTestSocketEnd) {
        var bytes: [UInt8] = []
        while let event = await iterator.next() {
            switch event {
            case .data(let chunk): bytes += chunk
            case .end(let end): return (bytes, end)
            }
        }
        return (bytes, .other("no end event"))
    }
}

// MARK: - Client

/// A real loopback TCP client (what an application connecting to a forwarded port is).
struct TunnelTestTCPClient: Sendable {
    let channel: any Channel
    let events: AsyncStream<TunnelTestSocketEvent>

    static func connect(to address: SocketAddress) async throws -> TunnelTestTCPClient {
        let (events, input) = AsyncStream.makeStream(of: TunnelTestSocketEvent.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TunnelTestSocketRecorder(input))
                }
            }
            .connect(to: address).get()
        return TunnelTestTCPClient(channel: channel, events: events)
    }

    func reader() -> TunnelTestSocketReader { TunnelTestSocketReader(events) }

    /// Connects and reads until the input ends. A connection the server resets at once may already be reset
    /// when the connect completes: that is reported as `.reset` too.
    static func connectAndReadToEnd(_ address: SocketAddress) async throws -> (bytes: [UInt8], end: TunnelTestSocketEnd) {
        let client: TunnelTestTCPClient
        do {
            client = try await connect(to: address)
        } catch let error as IOError where error.errnoCode == ECONNRESET {
            return ([], .reset)
        }
        var reader = client.reader()
        let result = await reader.readToEnd()
        await client.close()
        return result
    }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Our FIN (shutdown(SHUT_WR)); reading goes on.
    func shutdownWrite() async throws {
        try await channel.close(mode: .output).get()
    }

    /// Closes with RST (SO_LINGER 0).
    func reset() async {
        await tunnelResetChannel(channel)
    }

    func close() async {
        try? await channel.close().get()
    }
}

/// Closes `channel` with an RST instead of a FIN.
func tunnelResetChannel(_ channel: any Channel) async {
    if let provider = channel as? any SocketOptionProvider {
        try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
    }
    try? await channel.close().get()
}

// MARK: - Backend

/// A TCP backend for the tests that does not echo: it records what each connection receives (checking it
/// against `tunnelTestBytes`) and how it ended, and can hold off reading (to fill every buffer upstream).
final class TunnelTestTCPBackend: Sendable {
    let address: SocketAddress
    let connections: AsyncStream<TunnelTestBackendConnection>
    private let listener: any Channel

    private init(address: SocketAddress, connections: AsyncStream<TunnelTestBackendConnection>, listener: any Channel) {
        self.address = address
        self.connections = connections
        self.listener = listener
    }

    /// - Parameter reading: false: accepted connections are not read until `startReading()`.
    static func start(reading: Bool, seed: Int = 0) async throws -> TunnelTestTCPBackend {
        let (connections, input) = AsyncStream.makeStream(of: TunnelTestBackendConnection.self)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: reading)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = TunnelTestBackendConnection(channel: channel, seed: seed)
                    try channel.pipeline.syncOperations.addHandler(TunnelTestBackendHandler(connection))
                    input.yield(connection)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TunnelTestTCPBackend(address: try tunnelRequireAddress(listener.localAddress), connections: connections,
                              listener: listener)
    }

    func close() async {
        try? await listener.close().get()
    }
}

/// One accepted backend connection.
final class TunnelTestBackendConnection: Sendable {
    let channel: any Channel
    private let seed: Int
    private let state = Mutex(State())

    struct State {
        var received = 0
        var mismatches = 0
        var end: TunnelTestSocketEnd?
    }

    init(channel: any Channel, seed: Int) {
        self.channel = channel
        self.seed = seed
    }

    var received: Int { state.withLock { $0.received } }
    var mismatches: Int { state.withLock { $0.mismatches } }
    var end: TunnelTestSocketEnd? { state.withLock { $0.end } }

    func startReading() {
        channel.setOption(.autoRead, value: true).whenSuccess { [channel] in channel.read() }
    }

    func record(_ bytes: ByteBuffer) {
        let seed = self.seed
        state.withLock { state in
            bytes.withUnsafeReadableBytes { raw in
                for (index, byte) in raw.enumerated() where byte != tunnelTestByte(at: state.received + index, seed: seed) {
                    state.mismatches += 1
                }
            }
            state.received += bytes.readableBytes
        }
    }

    func ended(_ end: TunnelTestSocketEnd) {
        state.withLock { if $0.end == nil { $0.end = end } }
    }
}

private final class TunnelTestBackendHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let connection: TunnelTestBackendConnection

    init(_ connection: TunnelTestBackendConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.record(Self.unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { connection.ended(.eof) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.ended(TunnelTestSocketEnd(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.ended(.other("closed"))
    }
}

// MARK: - UDP

/// A plain loopback UDP socket: sends datagrams, keeps what comes back in arrival order.
struct TunnelTestUDPClient: Sendable {
    let channel: any Channel
    private let inbox: TunnelTestUDPInbox

    static func bind() async throws -> TunnelTestUDPClient {
        let inbox = TunnelTestUDPInbox()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TunnelTestUDPReceiver(inbox))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TunnelTestUDPClient(channel: channel, inbox: inbox)
    }

    func send(_ bytes: [UInt8], to target: SocketAddress) async throws {
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: bytes))).get()
    }

    /// The oldest datagram not taken yet; nil when none came within `limit` (a bound on a lost datagram, so a
    /// test fails on its expectation instead of hanging).
    func nextReply(within limit: Duration = .seconds(10)) async -> [UInt8]? {
        let deadline = ContinuousClock.now + limit
        while true {
            if let datagram = inbox.take() { return datagram }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    func close() async {
        try? await channel.close().get()
    }
}

private final class TunnelTestUDPInbox: Sendable {
    private let datagrams = Mutex<[[UInt8]]>([])

    func put(_ datagram: [UInt8]) {
        datagrams.withLock { $0.append(datagram) }
    }

    func take() -> [UInt8]? {
        datagrams.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

private final class TunnelTestUDPReceiver: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let inbox: TunnelTestUDPInbox

    init(_ inbox: TunnelTestUDPInbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbox.put(Array(buffer: Self.unwrapInboundIn(data).data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}

/// A UDP backend that answers each datagram with the datagrams `answer` makes of it.
struct TunnelTestUDPReplier: Sendable {
    let channel: any Channel

    static func start(_ answer: @escaping @Sendable ([UInt8]) -> [[UInt8]]) async throws -> TunnelTestUDPReplier {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TunnelTestUDPReplier(channel: channel)
    }

    var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }

    func close() async {
        try? await channel.close().get()
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let answer: @Sendable ([UInt8]) -> [[UInt8]]

        init(_ answer: @escaping @Sendable ([UInt8]) -> [[UInt8]]) {
            self.answer = answer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = Self.unwrapInboundIn(data)
            for reply in answer(Array(buffer: envelope.data)) {
                context.write(Self.wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress,
                                                                     data: ByteBuffer(bytes: reply))), promise: nil)
            }
            context.flush()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {}
    }
}

/// A loopback TCP port that nothing listens on (bound, then closed): connecting to it is refused.
func tunnelClosedTCPPort() async throws -> UInt16 {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = try tunnelRequireAddress(channel.localAddress).port ?? 0
    try await channel.close().get()
    return UInt16(port)
}
