import NIOCore
import NIOPosix

/// A plain UDP socket for the tests: sends raw datagrams anywhere and yields what it receives.
struct UDPSocket: Sendable {
    let channel: any Channel
    let received: AsyncStream<[UInt8]>

    static func bind() async throws -> UDPSocket {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingOldest(1024))
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Receiver(continuation))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return UDPSocket(channel: channel, received: stream)
    }

    var localAddress: SocketAddress? { channel.localAddress }

    /// Sends every datagram to `destination`, flushing in batches, and waits until they are written.
    func send(_ datagrams: [[UInt8]], to destination: SocketAddress) async throws {
        for batch in stride(from: 0, to: datagrams.count, by: 64) {
            var last: EventLoopFuture<Void>?
            for bytes in datagrams[batch..<min(batch + 64, datagrams.count)] {
                last = channel.write(AddressedEnvelope(remoteAddress: destination, data: ByteBuffer(bytes: bytes)))
            }
            channel.flush()
            try await last?.get()
        }
    }

    func close() async {
        try? await channel.close()
    }

    private final class Receiver: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let continuation: AsyncStream<[UInt8]>.Continuation

        init(_ continuation: AsyncStream<[UInt8]>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(Array(buffer: unwrapInboundIn(data).data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
        }
    }
}
