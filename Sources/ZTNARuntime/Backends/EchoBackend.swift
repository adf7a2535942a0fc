public import NIOCore
public import NIOPosix

/// A UDP and TCP echo server (`ztna echo`, the demo's backend, the tests' backend).
///
/// UDP: every datagram goes back to its sender unchanged. TCP: every byte goes back on its connection, half-close
/// is honoured (the client's FIN is answered with ours once everything was echoed), and a client that does not
/// read stops the server reading from it (backpressure through NIO's writability), so memory stays bounded.
public final class EchoBackend: Sendable {
    /// Where the UDP and TCP sockets listen (nil when not requested).
    public let udpAddress: SocketAddress?
    public let tcpAddress: SocketAddress?
    private let channels: [any Channel]

    private init(udpAddress: SocketAddress?, tcpAddress: SocketAddress?, channels: [any Channel]) {
        self.udpAddress = udpAddress
        self.tcpAddress = tcpAddress
        self.channels = channels
    }

    /// Binds the requested sockets (port 0: any free port).
    public static func start(host: String = "127.0.0.1", udpPort: Int?, tcpPort: Int?,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> EchoBackend {
        var channels: [any Channel] = []
        do {
            var udpAddress: SocketAddress?
            var tcpAddress: SocketAddress?
            if let udpPort {
                let channel = try await DatagramBootstrap(group: group)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UDPEcho()) }
                    }
                    .bind(host: host, port: udpPort).get()
                channels.append(channel)
                udpAddress = channel.localAddress
            }
            if let tcpPort {
                let channel = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.allowRemoteHalfClosure, value: true)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(TCPEcho()) }
                    }
                    .bind(host: host, port: tcpPort).get()
                channels.append(channel)
                tcpAddress = channel.localAddress
            }
            return EchoBackend(udpAddress: udpAddress, tcpAddress: tcpAddress, channels: channels)
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
    }

    /// Closes the listening sockets (open TCP connections end with them).
    public func close() async {
        for channel in channels { try? await channel.close() }
    }

    /// Waits until the sockets are closed.
    public func wait() async {
        for channel in channels { try? await channel.closeFuture.get() }
    }
}

private final class UDPEcho: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        context.write(Self.wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: envelope.data)),
                      promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // An ICMP error for an earlier reply (the client went away): nothing to do, keep serving.
    }
}

private final class TCPEcho: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        // A client that does not read: stop reading from it until our writes drain.
        if !context.channel.isWritable { _ = context.channel.setOption(.autoRead, value: false) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { _ = context.channel.setOption(.autoRead, value: true) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // Half-close: everything read was written; close our side once it is flushed.
            let flushed = context.writeAndFlush(Self.wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
            flushed.assumeIsolated().whenComplete { _ in context.close(mode: .output, promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
