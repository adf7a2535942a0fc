import NIOCore
import NIOPosix
import Synchronization

/// A one-client UDP forwarder that plays a NAT: the client talks to `frontAddress`; the proxy forwards to
/// `target` from its current outside socket and sends replies back. `rebind()` moves to a new outside socket
/// (a new source port), as a NAT does when its mapping expires — RFC 9000 §9.3's "NAT rebinding".
final class UDPRebindingProxy: Sendable {
    let frontAddress: SocketAddress
    private let front: any Channel
    private let target: SocketAddress
    private let state: Mutex<(outside: any Channel, client: SocketAddress?, retired: [any Channel])>

    private init(front: any Channel, outside: any Channel, target: SocketAddress) throws {
        guard let address = front.localAddress else { throw ChannelError.inappropriateOperationForState }
        self.front = front
        self.frontAddress = address
        self.target = target
        self.state = Mutex((outside, nil, []))
    }

    static func start(to target: SocketAddress) async throws -> UDPRebindingProxy {
        let relayBox = ProxyBox()
        let front = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ForwardHandler { envelope in relayBox.fromClient(envelope) })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let outside = try await bindOutside(relayBox)
        let proxy = try UDPRebindingProxy(front: front, outside: outside, target: target)
        relayBox.proxy.withLock { $0 = proxy }
        return proxy
    }

    private static func bindOutside(_ box: ProxyBox) async throws -> any Channel {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ForwardHandler { envelope in box.fromTarget(envelope) })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// The outside socket's address: the client's address as the target sees it.
    var outsideAddress: SocketAddress? {
        state.withLock { $0.outside.localAddress }
    }

    /// Moves to a fresh outside socket; the old one keeps delivering replies already in flight.
    func rebind() async throws {
        let box = ProxyBox()
        box.proxy.withLock { $0 = self }
        let fresh = try await Self.bindOutside(box)
        state.withLock { state in
            state.retired.append(state.outside)
            state.outside = fresh
        }
    }

    func close() async {
        let channels = state.withLock { [$0.outside] + $0.retired }
        for channel in channels + [front] { try? await channel.close() }
    }

    fileprivate func fromClient(_ envelope: AddressedEnvelope<ByteBuffer>) {
        let outside = state.withLock { state in
            state.client = envelope.remoteAddress
            return state.outside
        }
        outside.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: envelope.data), promise: nil)
    }

    fileprivate func fromTarget(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard let client = state.withLock({ $0.client }) else { return }
        front.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: envelope.data), promise: nil)
    }
}

/// Lets channel handlers created before the proxy exists reach it.
private final class ProxyBox: Sendable {
    let proxy = Mutex<UDPRebindingProxy?>(nil)

    func fromClient(_ envelope: AddressedEnvelope<ByteBuffer>) {
        proxy.withLock { $0 }?.fromClient(envelope)
    }

    func fromTarget(_ envelope: AddressedEnvelope<ByteBuffer>) {
        proxy.withLock { $0 }?.fromTarget(envelope)
    }
}

private final class ForwardHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let forward: @Sendable (AddressedEnvelope<ByteBuffer>) -> Void

    init(_ forward: @escaping @Sendable (AddressedEnvelope<ByteBuffer>) -> Void) {
        self.forward = forward
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        forward(unwrapInboundIn(data))
    }
}
