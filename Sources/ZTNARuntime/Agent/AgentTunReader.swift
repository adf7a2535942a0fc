#if os(Linux)
import Glibc
import Logging
import NIOCore
import NIOPosix

/// Reads the agent's TUN on its event loop: a NIO pipe channel over a duplicate of the device's descriptor.
/// Every `read(2)` on a TUN returns one whole packet, and NIO reads up to `maxMessagesPerRead` of them per
/// wake-up — the batch the data plane ends with one `batchEnded()` (DESIGN.md §4: "reads packets in batches").
/// Writes do not go through the channel: NIO may gather queued writes into one `writev`, which on a TUN would
/// glue packets together, so the data plane writes each packet to the device itself.
enum AgentTunReader {
    static let packetsPerWakeup = 64

    /// Starts reading; close the returned channel to stop (it closes its duplicate descriptor).
    static func start(_ interface: TunInterface, plane: NIOLoopBound<AgentTunDataPlane>) async throws -> any Channel {
        let descriptor = dup(interface.device.fileDescriptor)
        guard descriptor >= 0 else { throw TunError(operation: "dup \(interface.device.name)", errno: errno) }
        // A read larger than the buffer would be truncated: the MTU bounds what the kernel routes to the TUN.
        let capacity = max(interface.mtu, 1500) + 64
        do {
            return try await NIOPipeBootstrap(group: plane.eventLoop)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: capacity))
                .channelOption(.maxMessagesPerRead, value: UInt(packetsPerWakeup))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(TunReadHandler(plane: plane))
                    }
                }
                .takingOwnershipOfDescriptor(input: descriptor).get()
        } catch {
            close(descriptor)
            throw error
        }
    }
}

/// Hands each packet to the data plane, and the end of each batch.
private final class TunReadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let plane: NIOLoopBound<AgentTunDataPlane>

    init(plane: NIOLoopBound<AgentTunDataPlane>) {
        self.plane = plane
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        plane.value.received(Array(buffer.readableBytesView))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        plane.value.batchEnded()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        plane.value.logger.warning("TUN read failed", metadata: ["error": "\(error)"])
    }
}
#endif
