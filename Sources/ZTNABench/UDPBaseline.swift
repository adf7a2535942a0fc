import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

/// Plain UDP over SwiftNIO on loopback: the baseline every QUIC figure is compared with, measured in the
/// same run with the same event-loop machinery (vector reads, batched writes).
public enum UDPBaseline {
    /// Echo round-trip times (microseconds) of `count` sequential `size`-byte datagrams.
    public static func echoRTT(count: Int, size: Int, group: any EventLoopGroup) async throws -> [Double] {
        let server = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in channel.pipeline.addHandler(EchoHandler()) }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let waiter = ReplyWaiter()
        let client = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in channel.pipeline.addHandler(waiter) }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { client.close(promise: nil) }
        guard let target = server.localAddress else { return [] }
        var samples: [Double] = []
        let payload = [UInt8](repeating: 0xab, count: size)
        for _ in 0..<count {
            let start = ContinuousClock.now
            let reply = waiter.expect(on: client.eventLoop)
            try await client.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: payload)))
            try await reply.get()
            let rtt = ContinuousClock.now - start
            samples.append(Double(rtt.components.attoseconds) / 1e12 + Double(rtt.components.seconds) * 1e6)
        }
        return samples
    }

    /// The receiving side of a one-way measurement: a socket on loopback with a 4 MiB buffer and 64-datagram
    /// vector reads, counting with `counter`.
    static func countingServer(on group: any EventLoopGroup,
                               _ counter: some ChannelInboundHandler & Sendable) async throws -> any Channel {
        try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: 64)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 2048))
            .channelInitializer { channel in channel.pipeline.addHandler(counter) }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Datagrams per second received when one sender blasts `size`-byte datagrams for `seconds`.
    public static func oneWay(size: Int, seconds: Double, group: any EventLoopGroup) async throws
        -> (sent: Int, received: Int, elapsed: Double, cpu: Double) {
        let counter = CountingHandler()
        let server = try await countingServer(on: group, counter)
        defer { server.close(promise: nil) }
        let client = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { client.close(promise: nil) }
        guard let target = server.localAddress else { return (0, 0, 0, 0) }
        let clock = BenchClock()
        var sent = 0
        let payload = ByteBuffer(bytes: [UInt8](repeating: 0xcd, count: size))
        while clock.elapsedSeconds < seconds {
            // Batches of 32 writes and one flush; waiting for the last write keeps the send buffer bounded.
            var last: EventLoopFuture<Void>?
            for _ in 0..<32 {
                last = client.write(AddressedEnvelope(remoteAddress: target, data: payload))
            }
            client.flush()
            _ = try? await last?.get()
            sent += 32
        }
        let elapsed = clock.elapsedSeconds
        try? await Task.sleep(for: .milliseconds(100))   // the last datagrams arrive
        return (sent, counter.count, elapsed, clock.cpuSeconds)
    }
}

private final class EchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)
    }
}

/// Completes one promise per received datagram.
private final class ReplyWaiter: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let pending = NIOLockedValueBox<EventLoopPromise<Void>?>(nil)

    func expect(on loop: any EventLoop) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        pending.withLockedValue { $0 = promise }
        return promise.futureResult
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.withLockedValue { promise in
            promise?.succeed()
            promise = nil
        }
    }
}

private final class CountingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let received = NIOLockedValueBox(0)
    var count: Int { received.withLockedValue { $0 } }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received.withLockedValue { $0 += 1 }
    }
}
