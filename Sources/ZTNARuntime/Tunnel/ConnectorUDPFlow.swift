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
/// Datagrams queue (up to `TunnelLimits.udpFlowQueueLength`) only while the backend's name resolves and the
/// socket opens; after that each one is written to the socket as it arrives (NIO's channel writability is the
/// bound: a socket whose kernel buffer is full drops, `queue_full`). `finish()` ends the flow: the socket
/// closes, `run` returns.
final class ConnectorUDPFlow: Sendable {
    let key: UDPFlowKey
    let backend: HostPort
    private let phase: Mutex<Phase>
    private let finished: AsyncStream<Never>
    private let finishedInput: AsyncStream<Never>.Continuation
    private let lastActivity: Atomic<UInt64>
    private let queueLength: Int
    private let counters: TunnelCounters

    private enum Phase {
        /// The socket is being opened; datagrams wait, in order.
        case opening([ByteBuffer])
        case open(any Channel)
        case finished
    }

    init(key: UDPFlowKey, backend: HostPort, queueLength: Int, now: NIODeadline, counters: TunnelCounters) {
        self.key = key
        self.counters = counters
        self.backend = backend
        self.queueLength = max(1, queueLength)
        phase = Mutex(.opening([]))
        (finished, finishedInput) = AsyncStream.makeStream(of: Never.self)
        lastActivity = Atomic(now.uptimeNanoseconds)
    }

    // MARK: - Inputs

    /// Sends a payload to the backend (or queues it while the socket opens); the drop reason when it cannot be
    /// (queue or socket buffer full, or the flow ended).
    func enqueue(_ payload: ByteBuffer, now: NIODeadline) -> TunnelDropReason? {
        touch(now)
        return phase.withLock { phase in
            switch phase {
            case .opening(var queue):
                guard queue.count < queueLength else { return .queueFull }
                phase = .opening([])  // no copy-on-write of the queue while it grows
                queue.append(payload)
                phase = .opening(queue)
                return nil
            case .open(let channel):
                return Self.write(payload, to: channel, counters: counters)
            case .finished:
                return .noFlow
            }
        }
    }

    /// A connected UDP socket takes plain buffers. Not writable: the kernel's buffer is full.
    private static func write(_ payload: ByteBuffer, to channel: any Channel, counters: TunnelCounters) -> TunnelDropReason? {
        guard channel.isWritable else { return .queueFull }
        let count = payload.readableBytes
        channel.writeAndFlush(payload, promise: nil)
        counters.addBytesUp(count)
        return nil
    }

    /// Ends the flow (idle, or the tunnel closed): the socket closes. Datagrams still waiting for it to open
    /// are dropped and counted (`no_flow`).
    func finish() {
        endQueue(dropping: .noFlow)
    }

    /// Moves to `.finished`, counting the datagrams still queued under `reason`, and wakes `run`.
    private func endQueue(dropping reason: TunnelDropReason) {
        let queued: Int = phase.withLock { phase in
            defer { phase = .finished }
            if case .opening(let queue) = phase { return queue.count }
            return 0
        }
        counters.drop(reason, count: queued)
        finishedInput.finish()
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
    ///
    /// The socket lives on the tunnel connection's event loop, so each backend reply becomes a tunnel DATAGRAM
    /// right there (`sendDatagramOnLoop`): no queue and no task hop between the socket and the tunnel, so a
    /// burst of replies is never dropped for want of a hop.
    func run(connection: QUICNIOConnection, logger: Logger) async {
        guard let address = await BackendDialer.resolveUDP(backend) else {
            logger.debug("UDP backend does not resolve", metadata: ["backend": "\(backend)", "flow": "\(key)"])
            endQueue(dropping: .backendUnreachable)
            return
        }
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: connection.eventLoop)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: TunnelLimits.udpReadBufferSize))
                .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(TunnelLimits.udpSocketReceiveBufferSize))
                .connect(to: address) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            UDPReplyHandler(flow: self, connection: connection, counters: self.counters))
                        return channel
                    }
                }
        } catch {
            logger.debug("UDP backend socket failed", metadata: ["backend": "\(backend)", "error": "\(error)"])
            endQueue(dropping: .backendUnreachable)
            return
        }
        // The queued datagrams go first, then the flow writes each new one directly — in order, because the
        // switch happens under the lock that `enqueue` takes.
        let stillRunning: Bool = phase.withLock { phase in
            guard case .opening(let queue) = phase else { return false }
            for payload in queue {
                if let reason = Self.write(payload, to: channel, counters: counters) { counters.drop(reason) }
            }
            phase = .open(channel)
            return true
        }
        if stillRunning {
            for await _ in finished {}
        }
        try? await channel.close()
    }

    /// A backend reply (on the tunnel's event loop) → an IP/UDP packet from the flow's destination to its
    /// source → a tunnel DATAGRAM.
    fileprivate func carryReply(_ reply: ByteBuffer, connection: QUICNIOConnection, counters: TunnelCounters) {
        touch(.now())
        guard reply.readableBytes < TunnelLimits.udpReadBufferSize,
              let packet = key.replyPacket(payload: Array(buffer: reply)) else {
            counters.drop(.oversize)
            return
        }
        switch connection.sendDatagramOnLoop(packet) {
        case .success: counters.addBytesDown(reply.readableBytes)
        case .failure(.tooLarge): counters.drop(.oversize)
        case .failure: counters.drop(.noFlow)   // the tunnel is gone; the flow ends with it
        }
    }
}

// MARK: - Backend socket handler

/// Hands each backend reply to its flow, on the loop; ICMP errors reported on the connected socket
/// (ECONNREFUSED: the backend port is closed) are ignored: UDP has no connection to fail.
private final class UDPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let flow: ConnectorUDPFlow
    private let connection: QUICNIOConnection
    private let counters: TunnelCounters

    init(flow: ConnectorUDPFlow, connection: QUICNIOConnection, counters: TunnelCounters) {
        self.flow = flow
        self.connection = connection
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        flow.carryReply(Self.unwrapInboundIn(data).data, connection: connection, counters: counters)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
