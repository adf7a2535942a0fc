import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What one `TunnelSocket.read()` yields.
enum TunnelSocketRead: Sendable {
    /// Bytes from the peer (at most `TunnelSocket.maxReadSize`).
    case data(ByteBuffer)
    /// The peer's FIN: it sends nothing more (we may still write; half-closure is on).
    case end
    /// The socket failed (RST from the peer, or another error): nothing more in either direction.
    case failed(any Error)
    /// We closed the socket.
    case closed
}

/// A TCP socket as the splice sees it: explicit reads (autoRead off, so the kernel's receive window is the
/// backpressure towards the TCP peer), writes that complete when the bytes reached the kernel, half-close
/// and reset.
///
/// Create it in the channel's initializer with `install(on:)` (before the channel is active, so no event is
/// missed), on a channel bootstrapped with `tunnelSocketOptions()`.
///
/// Thread safety: the handler is loop-bound; every method hops to the channel's event loop.
final class TunnelSocket: Sendable {
    /// The largest chunk one read yields: the splice's per-direction bound.
    static let maxReadSize = 65_536

    let channel: any Channel
    private let handler: NIOLoopBound<TunnelSocketHandler>

    private init(channel: any Channel, handler: NIOLoopBound<TunnelSocketHandler>) {
        self.channel = channel
        self.handler = handler
    }

    // MARK: - Setting up

    /// Adds the handler to `channel`'s pipeline. Call on the channel's event loop (a channel initializer).
    static func install(on channel: any Channel) throws -> TunnelSocket {
        let handler = TunnelSocketHandler()
        try channel.pipeline.syncOperations.addHandler(handler)
        return TunnelSocket(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
    }

    // MARK: - Reading

    /// The next chunk, the FIN, or the end: reads from the socket once (one `read()` of the channel).
    func read() async -> TunnelSocketRead {
        let handler = self.handler
        let promise = channel.eventLoop.makePromise(of: TunnelSocketRead.self)
        channel.eventLoop.execute { handler.value.requestRead(promise) }
        do {
            return try await promise.futureResult.get()
        } catch {
            return .failed(error)
        }
    }

    // MARK: - Writing

    /// Writes `bytes` and returns once they are in the kernel's send buffer: the caller's next write waits,
    /// so a peer that does not read holds us at one chunk.
    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Sends our FIN (shutdown(SHUT_WR)); reading goes on. Errors are ignored: a socket already closed has
    /// nothing to shut down.
    func shutdownOutput() async {
        try? await channel.close(mode: .output).get()
    }

    // MARK: - Closing

    /// Closes the socket; with `reset`, with an RST instead of a FIN (SO_LINGER 0), so the peer learns the
    /// flow failed rather than ended. A pending `read()` returns `.closed`.
    func close(reset: Bool) {
        let channel = self.channel
        let handler = self.handler
        channel.eventLoop.execute {
            handler.value.closedByUs = true
            if reset, let provider = channel as? any SocketOptionProvider {
                // SO_LINGER with a zero timeout: close() sends RST and discards unsent data.
                _ = provider.setSoLinger(linger(l_onoff: 1, l_linger: 0))
            }
            channel.close(promise: nil)
        }
    }

    /// Returns once the socket is closed.
    func closed() async {
        try? await channel.closeFuture.get()
    }
}

/// The loop side of a `TunnelSocket`: one pending read at a time, answered by the next `channelRead`, the
/// FIN (`inputClosed`), an error, or the channel going inactive.
///
/// Bytes can arrive without a read asked for: when the peer's FIN is signalled (EPOLLRDHUP), NIO reads the
/// socket's whole receive queue up to the FIN at once, whatever `autoRead` says. They are kept in `buffered` and
/// handed out in `maxReadSize` chunks; that is at most what the kernel already held for the socket.
///
/// Invariant: loop-bound.
final class TunnelSocketHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var context: ChannelHandlerContext?
    private var pending: EventLoopPromise<TunnelSocketRead>?
    /// Bytes that arrived with no read waiting (rare: one `read()` yields one chunk).
    private var buffered: ByteBuffer?
    /// How the input ended, once it did.
    private var ended: TunnelSocketRead?
    /// Set when we close the channel, so the end is reported as `.closed` rather than a failure.
    var closedByUs = false
    /// Set once our output is shut down (our FIN sent). NIO then reports the peer's FIN by closing the channel
    /// entirely (both halves are closed) instead of firing `inputClosed`.
    private var outputClosed = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        finish(closedByUs ? .closed : .failed(ChannelError.ioOnClosedChannel))
    }

    /// Answers at once from what is buffered or ended, otherwise asks the channel for one read.
    func requestRead(_ promise: EventLoopPromise<TunnelSocketRead>) {
        if var bytes = buffered {
            buffered = nil
            if bytes.readableBytes > TunnelSocket.maxReadSize, let head = bytes.readSlice(length: TunnelSocket.maxReadSize) {
                buffered = bytes
                promise.succeed(.data(head))
            } else {
                promise.succeed(.data(bytes))
            }
            return
        }
        if let ended {
            promise.succeed(ended)
            return
        }
        guard pending == nil, let context else {
            promise.succeed(.failed(ChannelError.inappropriateOperationForState))
            return
        }
        pending = promise
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = Self.unwrapInboundIn(data)
        if let promise = pending, buffered == nil {
            pending = nil
            promise.succeed(.data(bytes))
        } else if buffered != nil {
            buffered?.writeBuffer(&bytes)
        } else {
            buffered = bytes
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed:
            finish(.end)
        case ChannelEvent.outputClosed:
            outputClosed = true
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(closedByUs ? .closed : .failed(error))
        // NIO closes a stream socket after a read error; make sure of it for any other error.
        context.close(promise: nil)
    }

    /// Without an error first (an RST is read as ECONNRESET, through `errorCaught`), an inactive channel whose
    /// output we had shut down saw the peer's FIN; otherwise it went away under us.
    func channelInactive(context: ChannelHandlerContext) {
        if closedByUs {
            finish(.closed)
        } else {
            finish(outputClosed ? .end : .failed(ChannelError.eof))
        }
        context.fireChannelInactive()
    }

    /// Records the first way the input ended and answers a waiting read (buffered bytes are delivered first).
    private func finish(_ end: TunnelSocketRead) {
        if ended == nil { ended = end }
        if buffered == nil, let promise = pending, let ended {
            pending = nil
            promise.succeed(ended)
        }
    }
}

// MARK: - Bootstrap options

extension ClientBootstrap {
    /// The options every spliced socket needs: no reads unless asked, one read per request of at most
    /// `TunnelSocket.maxReadSize` bytes, and a FIN that closes only the input (so each direction ends on its own).
    func tunnelSocketOptions() -> ClientBootstrap {
        channelOption(.autoRead, value: false)
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(
                minimum: 64, initial: 16_384, maximum: TunnelSocket.maxReadSize))
    }
}

extension ServerBootstrap {
    /// `ClientBootstrap.tunnelSocketOptions()` for accepted sockets.
    func tunnelChildSocketOptions() -> ServerBootstrap {
        childChannelOption(.autoRead, value: false)
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(
                minimum: 64, initial: 16_384, maximum: TunnelSocket.maxReadSize))
    }
}
