import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix

/// Plain UDP the way the on-loop QUIC figure sends: the sender writes from its own event loop for as long as
/// the channel is writable — 32 datagrams per write with UDP segmentation offload (GSO) where the kernel has
/// it, as QUIC's shell writes, otherwise 32 writes per flush (`sendmmsg`) — and resumes when it becomes
/// writable again; the receiver counts on its loop. Each side's CPU is its loop thread's.
extension UDPBaseline {
    public static func oneWayOnLoop(size: Int, seconds: Double, group: any EventLoopGroup) async throws
        -> QUICBench.OnLoopResult {
        let (serverLoop, clientLoop) = QUICBench.twoLoops(of: group)
        let counter = OnLoopCountingHandler()
        let server = try await countingServer(on: serverLoop, counter)
        defer { server.close(promise: nil) }
        guard let target = server.localAddress else { return QUICBench.OnLoopResult() }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))
        let sender = OnLoopUDPSender(target: target, payload: [UInt8](repeating: 0xcd, count: size),
                                     segmentationOffload: System.supportsUDPSegmentationOffload,
                                     until: deadline, done: clientLoop.makePromise())
        let cpuBefore = (try await QUICBench.threadCPU(on: clientLoop), try await QUICBench.threadCPU(on: serverLoop))
        let receivedBefore = try await serverLoop.submit { counter.count }.get()
        let clock = BenchClock()
        let client = try await DatagramBootstrap(group: clientLoop)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelOption(.writeBufferWaterMark, value: .init(low: 256 << 10, high: 1 << 20))
            .channelInitializer { channel in channel.pipeline.addHandler(sender) }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { client.close(promise: nil) }
        var result = QUICBench.OnLoopResult()
        result.sent = try await sender.done.futureResult.get()
        result.elapsed = clock.elapsedSeconds
        try? await Task.sleep(for: .milliseconds(200))   // the last datagrams arrive
        let cpuAfter = (try await QUICBench.threadCPU(on: clientLoop), try await QUICBench.threadCPU(on: serverLoop))
        result.received = try await serverLoop.submit { counter.count }.get() - receivedBefore
        result.senderCPU = cpuAfter.0 - cpuBefore.0
        result.receiverCPU = cpuAfter.1 - cpuBefore.1
        result.separateLoops = clientLoop !== serverLoop
        return result
    }
}

/// Counts datagrams on the receiver's event loop.
private final class OnLoopCountingHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: `count` is touched only on the server channel's event loop (reads and `submit`).
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    var count = 0
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { count += 1 }
}

/// Writes datagrams while the channel is writable, until a deadline.
private final class OnLoopUDPSender: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: every member is used on the client channel's event loop only.
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let target: SocketAddress
    /// One write: a single datagram, or (GSO) 32 of them back to back, cut by the kernel.
    let write: AddressedEnvelope<ByteBuffer>
    let datagramsPerWrite: Int
    let deadline: NIODeadline
    let done: EventLoopPromise<Int>
    private var sent = 0
    private var finished = false

    init(target: SocketAddress, payload: [UInt8], segmentationOffload: Bool, until deadline: NIODeadline,
         done: EventLoopPromise<Int>) {
        self.target = target
        if segmentationOffload {
            datagramsPerWrite = 32
            let metadata = AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil,
                                                                  segmentSize: payload.count)
            write = AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: Array(repeating: payload, count: 32).joined()),
                                      metadata: metadata)
        } else {
            datagramsPerWrite = 1
            write = AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: payload))
        }
        self.deadline = deadline
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        pump(context: context)
        context.fireChannelActive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump(context: context) }
        context.fireChannelWritabilityChanged()
    }

    private func pump(context: ChannelHandlerContext) {
        guard !finished else { return }
        let writesPerFlush = 32 / datagramsPerWrite
        while context.channel.isWritable {
            guard NIODeadline.now() < deadline else {
                finished = true
                context.flush()
                done.succeed(sent)
                return
            }
            for _ in 0..<writesPerFlush { context.write(Self.wrapOutboundOut(write), promise: nil) }
            sent += 32
            context.flush()
        }
    }
}
