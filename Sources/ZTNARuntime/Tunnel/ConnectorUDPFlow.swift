import Logging
import NIOCore
import NIOPosix
import QUICCore
import QUICNIO
import Synchronization
import ZTNAConfig

/// One UDP flow of a connector's tunnel (DESIGN.md §4): a UDP socket connected to the backend, carrying the
/// flow's payloads up and rebuilding the backend's replies as IP/UDP packets back through the tunnel.
///
/// Datagrams queue (up to `TunnelLimits.udpFlowQueueLength`) while the backend's name resolves and the socket
/// opens. `finish()` ends the flow: the queue drains, the socket closes, `run` returns.
final class ConnectorUDPFlow: Sendable {
    let key: UDPFlowKey
    let backend: HostPort
    private let outgoing: AsyncStream<ByteBuffer>
    private let outgoingInput: AsyncStream<ByteBuffer>.Continuation
    private let lastActivity: Atomic<UInt64>
    private let queueLength: Int

    init(key: UDPFlowKey, backend: HostPort, queueLength: Int, now: NIODeadline) {
        self.key = key
        self.backend = backend
        self.queueLength = max(1, queueLength)
        (outgoing, outgoingInput) = AsyncStream.makeStream(of: ByteBuffer.self,
                                                           bufferingPolicy: .bufferingOldest(self.queueLength))
        lastActivity = Atomic(now.uptimeNanoseconds)
    }

    // MARK: - Inputs

    /// Queues a payload for the backend; the drop reason when it cannot be (queue full, or the flow ended).
    func enqueue(_ payload: ByteBuffer, now: NIODeadline) -> TunnelDropReason? {
        touch(now)
        switch outgoingInput.yield(payload) {
        case .enqueued: return nil
        case .dropped: return .queueFull
        case .terminated: return .noFlow
        @unknown default: return .queueFull
        }
    }

    /// Ends the flow (idle, or the tunnel closed): queued datagrams are still sent, then the socket closes.
    func finish() {
        outgoingInput.finish()
    }

    /// Whether no packet went either way since `deadline`.
    func isIdle(since deadline: NIODeadline) -> Bool {
        lastActivity.load(ordering: .relaxed) < deadline.uptimeNanoseconds
    }

    private func touch(_ now: NIODeadline) {
        lastActivity.store(now.uptimeNanoseconds, ordering: .relaxed)
    }

    // MARK: - Running

    /// Opens the backend socket and carries datagrams both ways until `finish()` or cancellation.
    func run(connection: QUICNIOConnection, counters: TunnelCounters, group: any EventLoopGroup,
             logger: Logger) async {
        guard let address = await BackendDialer.resolveUDP(backend) else {
            logger.debug("UDP backend does not resolve", metadata: ["backend": "\(backend)", "flow": "\(key)"])
            await dropQueued(counters)
            return
        }
        let (replies, repliesInput) = AsyncStream.makeStream(of: ByteBuffer.self,
                                                             bufferingPolicy: .bufferingOldest(queueLength))
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: group)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: TunnelLimits.udpReadBufferSize))
                .connect(to: address) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UDPReplyHandler(repliesInput, counters: counters))
                        return channel
                    }
                }
        } catch {
            logger.debug("UDP backend socket failed", metadata: ["backend": "\(backend)", "error": "\(error)"])
            await dropQueued(counters)
            return
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.carryReplies(replies, connection: connection, counters: counters) }
            for await payload in outgoing {
                // A connected UDP socket takes plain buffers. Not writable: the kernel's buffer is full.
                guard channel.isWritable else {
                    counters.drop(.queueFull)
                    continue
                }
                let count = payload.readableBytes
                channel.writeAndFlush(payload, promise: nil)
                counters.addBytesUp(count)
            }
            // Closing ends `replies` (channelInactive), which ends the reply task.
            try? await channel.close()
        }
    }

    /// Backend replies → IP/UDP packets from the flow's destination to its source → tunnel DATAGRAMs.
    private func carryReplies(_ replies: AsyncStream<ByteBuffer>, connection: QUICNIOConnection,
                              counters: TunnelCounters) async {
        for await reply in replies {
            touch(.now())
            guard reply.readableBytes < TunnelLimits.udpReadBufferSize,
                  let packet = key.replyPacket(payload: Array(buffer: reply)) else {
                counters.drop(.oversize)
                continue
            }
            do throws(QUICDatagramError) {
                try await connection.send(datagram: packet)
                counters.addBytesDown(reply.readableBytes)
            } catch {
                if case .tooLarge = error {
                    counters.drop(.oversize)
                    continue
                }
                return   // the tunnel is gone; the flow ends with it
            }
        }
    }

    /// The flow never got a socket: whatever is queued is dropped (the stream is finished, so the iteration
    /// ends after the buffered elements without waiting).
    private func dropQueued(_ counters: TunnelCounters) async {
        finish()
        for await _ in outgoing { counters.drop(.backendUnreachable) }
    }
}

// MARK: - Backend socket handler

/// Hands a flow's backend replies to its reply task; ICMP errors reported on the connected socket
/// (ECONNREFUSED: the backend port is closed) are ignored: UDP has no connection to fail.
private final class UDPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let replies: AsyncStream<ByteBuffer>.Continuation
    private let counters: TunnelCounters

    init(_ replies: AsyncStream<ByteBuffer>.Continuation, counters: TunnelCounters) {
        self.replies = replies
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .dropped = replies.yield(Self.unwrapInboundIn(data).data) { counters.drop(.queueFull) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}

    func channelInactive(context: ChannelHandlerContext) {
        replies.finish()
        context.fireChannelInactive()
    }
}
