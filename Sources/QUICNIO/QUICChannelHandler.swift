#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import QUICCore
import QUICTLS

/// The event-loop side of one QUIC endpoint: owns the sans-IO `QUICEndpoint` and drives it
/// (DESIGN.md §2, STYLE.md "Shape of a shell loop").
///
/// Datagrams read from the socket are fed in one by one; after each read batch (`channelReadComplete`), a
/// timer, or an application operation, `flush()` pulls every transmit and writes them with one `flush()` of
/// the channel, dispatches every event to the loop-side drivers of the async objects, and re-arms the one
/// timer at `pollTimeout()`.
///
/// Invariant: every method runs on the channel's event loop. NIO calls the handler there, and the public
/// objects reach it only through `NIOLoopBound` after hopping with `execute`.
final class QUICChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    enum State {
        case open
        /// `close()` was called: connections are closing, new ones are refused.
        case draining
        /// The socket is closed; nothing is driven any more.
        case closed
    }

    /// A client connection waiting for its handshake to complete.
    struct PendingConnect {
        var waiter: LoopWaiter<QUICNIOConnection>
        var datagramSendQueueLimit: Int
        var datagramReceiveQueueLimit: Int
    }

    // MARK: - State

    var endpoint: QUICEndpoint
    let eventLoop: any EventLoop
    let logger: Logger
    let options: QUICNIOOptions
    private(set) var state: State = .open
    private var context: ChannelHandlerContext?

    /// Datagrams pulled in the current flush, written together at its end.
    private var batcher: DatagramBatcher
    private var outgoingDestinations: [SocketAddress] = []
    private var outgoingPayloads: [[UInt8]] = []
    private var flushScheduled = false
    /// Route lookups before writes (`QUICNIOOptions.checksRoutes`); nil when off.
    let routes: RouteCheck?

    /// The one timer: the endpoint's `pollTimeout()`, the earliest deadline of all its connections.
    private var timer: NIOScheduledCallback?
    private var timerDeadline: NIODeadline?
    private var drainTimer: Scheduled<Void>?

    /// Established connections, by handle.
    private var drivers: [ConnectionHandle: ConnectionDriver] = [:]
    private var connecting: [ConnectionHandle: PendingConnect] = [:]
    /// Connections with senders waiting for room in their DATAGRAM send queue.
    private var parkedDatagramSenders: Set<ConnectionHandle> = []
    private let incoming: AsyncStream<QUICNIOConnection>.Continuation
    private let relayed: RelayedTransmitHandlerBox
    private let acceptOnLoop: (@Sendable (QUICNIOConnection) -> Void)?
    /// Close the socket once the endpoint has no connection left (endpoints `QUICClient` made for one connection).
    private var closesWhenIdle = false
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []

    init(endpoint: QUICEndpoint, eventLoop: any EventLoop, options: QUICNIOOptions, logger: Logger,
         incoming: AsyncStream<QUICNIOConnection>.Continuation, relayed: RelayedTransmitHandlerBox,
         acceptOnLoop: (@Sendable (QUICNIOConnection) -> Void)? = nil) {
        self.acceptOnLoop = acceptOnLoop
        self.endpoint = endpoint
        self.eventLoop = eventLoop
        self.options = options
        routes = options.checksRoutes ? RouteCheck() : nil
        self.logger = logger
        self.incoming = incoming
        self.relayed = relayed
        batcher = DatagramBatcher(segmentationOffload: options.segmentationOffload
                                  && System.supportsUDPSegmentationOffload)
    }

    /// Whether writes currently use GSO.
    var usesSegmentationOffload: Bool { batcher.segmentationOffload }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        logger.debug("QUIC endpoint started", metadata: [
            "quic.gso": "\(batcher.segmentationOffload)", "quic.local": "\(context.channel.localAddress.map { "\($0)" } ?? "?")",
        ])
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        shutDown()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        guard state != .closed else { return }
        endpoint.handle(datagram: Array(envelope.data.readableBytesView), from: .udp(envelope.remoteAddress),
                        now: .now())
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        shutDown()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket reports ICMP errors (ECONNREFUSED) of earlier sends here; QUIC's loss recovery and
        // idle timeout deal with unreachable peers, so the socket stays open.
        logger.debug("UDP socket error", metadata: ["error": "\(error)"])
    }

    // MARK: - Inputs from the application

    /// Starts a client connection; the waiter is resumed when the handshake completes or fails.
    func connect(to remote: PathAddress, serverName: String?, configuration: QUICConfiguration,
                 closesEndpointWhenIdle: Bool, waiter: LoopWaiter<QUICNIOConnection>) {
        guard state == .open else {
            waiter.fail(.endpointClosed)
            return
        }
        if closesEndpointWhenIdle { closesWhenIdle = true }
        let handle: ConnectionHandle
        do throws(TLSError) {
            handle = try endpoint.connect(to: remote, serverName: serverName, configuration: configuration, now: .now())
        } catch {
            waiter.fail(.tls(error))
            closeIfDrained()
            return
        }
        connecting[handle] = PendingConnect(waiter: waiter,
                                            datagramSendQueueLimit: configuration.datagramSendQueueLimit,
                                            datagramReceiveQueueLimit: configuration.datagramReceiveQueueLimit)
        logger.debug("QUIC connecting", metadata: ["quic.connection": "\(handle)", "quic.remote": "\(remote)"])
        flush()
    }

    /// The task waiting in `connect` was cancelled: abandon the handshake.
    func cancelConnect(_ token: CancellationToken) {
        guard let (handle, pending) = connecting.first(where: { $0.value.waiter.token === token }) else { return }
        connecting[handle] = nil
        _ = endpoint.withConnection(handle) { $0.close(errorCode: 0, reason: "connect cancelled", now: .now()) }
        pending.waiter.fail(.cancelled)
        scheduleFlush()
    }

    /// A packet that arrived through a relay for the relayed path `route` (DESIGN.md §1).
    func receiveRelayed(_ bytes: [UInt8], route: RelayRoute) {
        guard state != .closed else { return }
        endpoint.handle(datagram: bytes, from: .relayed(route), now: .now())
        scheduleFlush()
    }

    /// Closes every connection with CONNECTION_CLOSE, waits for their closing periods (at most
    /// `options.drainTimeout`), then closes the socket.
    func close(continuation: CheckedContinuation<Void, Never>) {
        switch state {
        case .closed:
            continuation.resume()
        case .draining:
            closeWaiters.append(continuation)
        case .open:
            closeWaiters.append(continuation)
            beginDraining()
        }
    }

    private func beginDraining() {
        state = .draining
        incoming.finish()
        endpoint.stopAccepting()
        let now = NIODeadline.now()
        for handle in endpoint.connectionHandles {
            _ = endpoint.withConnection(handle) { $0.close(errorCode: 0, reason: "shutting down", now: now) }
        }
        drainTimer = eventLoop.assumeIsolated().scheduleTask(in: options.drainTimeout) { self.closeChannel() }
        flush()
    }

    // MARK: - Flush

    /// Services the endpoint on a later turn of the loop, once, however many operations asked for it (so the
    /// transmits of several operations go out in one batch).
    func scheduleFlush() {
        guard !flushScheduled, state != .closed else { return }
        flushScheduled = true
        eventLoop.assumeIsolated().execute { self.flush() }
    }

    /// Rounds of transmit-then-dispatch per flush; dispatching can make more to send (a waiting write moves on).
    private static let maxFlushRounds = 8

    /// Pulls every transmit and writes them, dispatches every event, re-arms the timer.
    func flush() {
        flushScheduled = false
        guard state != .closed else { return }
        let now = NIODeadline.now()
        var settled = false
        for _ in 0..<Self.maxFlushRounds {
            while let transmit = endpoint.pollTransmit(now: now) { enqueue(transmit, now: now) }
            writeOutgoing()
            var progressed = false
            while let event = endpoint.pollEvent() {
                dispatch(event)
                progressed = true
            }
            if serviceParkedDatagrams() { progressed = true }
            if !progressed {
                settled = true
                break
            }
        }
        if !settled { scheduleFlush() }
        rearmTimer()
        closeIfDrained()
    }

    private func enqueue(_ transmit: QUICTransmit, now: NIODeadline) {
        switch transmit.destination {
        case .udp(let address):
            if let routes, !routes.allows(address, now: now) {
                logger.trace("datagram dropped: no route", metadata: ["quic.destination": "\(address)"])
                return
            }
            outgoingDestinations.append(address)
            outgoingPayloads.append(transmit.payload)
        case .relayed(let route):
            if let handler = relayed.handler {
                handler(route, transmit.payload)
            } else {
                logger.trace("relayed transmit dropped: no relayed transmit handler", metadata: ["quic.route": "\(route)"])
            }
        }
    }

    /// Writes the datagrams of this flush (GSO batches where possible), then flushes the channel once.
    private func writeOutgoing() {
        guard !outgoingPayloads.isEmpty else { return }
        defer {
            outgoingDestinations.removeAll(keepingCapacity: true)
            outgoingPayloads.removeAll(keepingCapacity: true)
        }
        guard let context else { return }
        let allocator = context.channel.allocator
        let batches = batcher.batches(destinations: outgoingDestinations, sizes: outgoingPayloads.map(\.count))
        for batch in batches {
            if let segmentSize = batch.segmentSize {
                var buffer = allocator.buffer(capacity: outgoingPayloads[batch.range].reduce(0) { $0 + $1.count })
                for index in batch.range { buffer.writeBytes(outgoingPayloads[index]) }
                let metadata = AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil,
                                                                      segmentSize: segmentSize)
                let promise = context.eventLoop.makePromise(of: Void.self)
                promise.futureResult.assumeIsolated().whenFailure { error in self.segmentationOffloadFailed(error) }
                context.write(Self.wrapOutboundOut(AddressedEnvelope(remoteAddress: batch.destination, data: buffer,
                                                                     metadata: metadata)), promise: promise)
            } else {
                let buffer = allocator.buffer(bytes: outgoingPayloads[batch.range.lowerBound])
                context.write(Self.wrapOutboundOut(AddressedEnvelope(remoteAddress: batch.destination, data: buffer)),
                              promise: nil)
            }
        }
        context.flush()
    }

    /// A GSO write failed. When the error says the kernel or the device cannot segment, later flushes send
    /// datagram by datagram; the lost datagrams are repaired by QUIC's loss recovery (RFC 9002 §6).
    private func segmentationOffloadFailed(_ error: any Error) {
        let unsupported: Bool
        if let ioError = error as? IOError {
            unsupported = [EIO, EINVAL, EOPNOTSUPP, ENOPROTOOPT].contains(ioError.errnoCode)
        } else {
            unsupported = (error as? ChannelError) == .operationUnsupported
        }
        guard unsupported, batcher.segmentationOffload else { return }
        batcher.segmentationOffload = false
        logger.notice("UDP segmentation offload failed; sending datagrams one by one", metadata: ["error": "\(error)"])
    }

    // MARK: - Timer

    private func rearmTimer() {
        let deadline = state == .closed ? nil : endpoint.pollTimeout()
        guard deadline != timerDeadline else { return }
        timer?.cancel()
        timer = nil
        timerDeadline = deadline
        guard let deadline else { return }
        timer = try? eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self)
    }

    // MARK: - Closing

    /// Closes the socket when a draining endpoint (or one that closes when idle) has no connection left that
    /// still needs it.
    private func closeIfDrained() {
        guard state == .draining || (state == .open && closesWhenIdle) else { return }
        // Cheap test first (this runs after every flush): an established connection has a driver until closed.
        guard connecting.isEmpty, drivers.isEmpty, !endpoint.connectionHandles.contains(where: needsSocket) else {
            return
        }
        if state == .open {
            state = .draining
            incoming.finish()
        }
        closeChannel()
    }

    /// Whether a connection may still send: open, or closing (RFC 9000 §10.2.1: it answers late packets with
    /// CONNECTION_CLOSE). A draining connection (closed by the peer, §10.2.2) never sends again.
    private func needsSocket(_ handle: ConnectionHandle) -> Bool {
        guard let closedReason = endpoint.inspect(handle, { $0.closedReason }) else { return false }
        switch closedReason {
        case nil, .local?, .transportError?:
            return true
        case .peer?, .idleTimeout?, .handshakeTimeout?, .statelessReset?, .versionNegotiation?:
            return false
        }
    }

    private func closeChannel() {
        guard state != .closed else { return }
        if let context {
            context.close(promise: nil)   // channelInactive → shutDown()
        } else {
            shutDown()
        }
    }

    /// The socket is gone: finish every async object so that nothing waits forever.
    private func shutDown() {
        guard state != .closed else { return }
        state = .closed
        // Connections still in their closing or draining period cannot send or receive any more.
        endpoint.discardAllConnections()
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        drainTimer?.cancel()
        drainTimer = nil
        incoming.finish()
        let pending = connecting
        connecting.removeAll()
        for entry in pending.values { entry.waiter.fail(.endpointClosed) }
        let remaining = drivers
        drivers.removeAll()
        parkedDatagramSenders.removeAll()
        let reason = QUICCloseReason.local(QUICCloseError(isApplicationError: true, code: 0, reason: "endpoint closed"))
        for driver in remaining.values { driver.finish(reason) }
        let waiters = closeWaiters
        closeWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
        logger.debug("QUIC endpoint closed")
    }
}

// MARK: - Timer callback

extension QUICChannelHandler: NIOScheduledCallbackHandler {
    func handleScheduledCallback(eventLoop: some EventLoop) {
        timer = nil
        timerDeadline = nil
        guard state != .closed else { return }
        endpoint.handleTimeout(now: .now())
        flush()
    }
}

// MARK: - Events

extension QUICChannelHandler {
    private func dispatch(_ event: QUICEndpointEvent) {
        switch event {
        case .accepted(let handle):
            logger.debug("QUIC connection accepted", metadata: [
                "quic.connection": "\(handle)",
                "quic.remote": "\(endpoint.inspect(handle) { "\($0.remoteAddress)" } ?? "?")",
            ])
            if state != .open {
                _ = endpoint.withConnection(handle) { $0.close(errorCode: 0, reason: "shutting down", now: .now()) }
            }
        case .connection(let handle, let connectionEvent):
            if let driver = drivers[handle] {
                driver.handle(connectionEvent)
                if case .closed = connectionEvent {
                    drivers[handle] = nil
                    parkedDatagramSenders.remove(handle)
                }
                return
            }
            switch connectionEvent {
            case .connected:
                established(handle)
            case .closed(let reason):
                _ = endpoint.takeFinalStatistics(handle)
                logger.debug("QUIC handshake failed", metadata: ["quic.connection": "\(handle)", "quic.reason": "\(reason)"])
                connecting.removeValue(forKey: handle)?.waiter.fail(.connectionClosed(reason))
            default:
                break   // nothing else precedes `.connected`; a cancelled connect's events have no owner
            }
        }
    }

    /// The handshake of `handle` completed: create its async object and hand it to its owner.
    private func established(_ handle: ConnectionHandle) {
        guard let connection = endpoint.connection(handle) else { return }
        let pending = connecting.removeValue(forKey: handle)
        if pending == nil, state != .open {
            _ = endpoint.withConnection(handle) { $0.close(errorCode: 0, reason: "shutting down", now: .now()) }
            return
        }
        let server = endpoint.configuration.server
        let driver = ConnectionDriver(
            handle: handle, role: connection.role, handler: self,
            datagramSendQueueLimit: pending?.datagramSendQueueLimit ?? server?.datagramSendQueueLimit ?? 1024,
            logger: logger)
        let receiveLimit = pending?.datagramReceiveQueueLimit ?? server?.datagramReceiveQueueLimit ?? 1024
        let object = QUICNIOConnection(driver: driver, connection: connection, eventLoop: eventLoop,
                                       datagramBufferLimit: receiveLimit)
        drivers[handle] = driver
        logger.debug("QUIC connection established", metadata: [
            "quic.connection": "\(handle)", "quic.alpn": "\(connection.negotiatedALPN ?? "-")",
            "quic.cipher": "\(connection.negotiatedCipherSuite.map { String($0, radix: 16) } ?? "-")",
            "quic.group": "\(connection.negotiatedGroup ?? "-")",
        ])
        if let pending {
            pending.waiter.succeed(object)
        } else if let acceptOnLoop {
            acceptOnLoop(object)
        } else {
            incoming.yield(object)
        }
    }

    // MARK: - DATAGRAM backpressure

    /// Remembers that a connection has senders waiting for DATAGRAM queue space.
    func datagramSenderParked(_ handle: ConnectionHandle) {
        parkedDatagramSenders.insert(handle)
    }

    /// Moves waiting datagrams into send queues that have room again; true when any moved.
    private func serviceParkedDatagrams() -> Bool {
        guard !parkedDatagramSenders.isEmpty else { return false }
        var moved = false
        for handle in parkedDatagramSenders {
            guard let driver = drivers[handle] else {
                parkedDatagramSenders.remove(handle)
                continue
            }
            if driver.serviceParkedDatagrams() { moved = true }
            if !driver.hasParkedDatagrams { parkedDatagramSenders.remove(handle) }
        }
        return moved
    }
}
