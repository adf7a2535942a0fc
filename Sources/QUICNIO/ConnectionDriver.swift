import Logging
import NIOCore
import QUICCore
import QUICWire

/// The event-loop side of one established connection: routes its events to streams, datagram consumers and
/// close waiters, and performs the application's operations on the sans-IO connection.
///
/// Invariant: loop-bound. Only the channel handler and the public `QUICNIOConnection`/`QUICNIOStream` (through
/// `NIOLoopBound`, after hopping to the loop) touch it.
final class ConnectionDriver {
    let handle: ConnectionHandle
    let role: EndpointRole
    let handler: QUICChannelHandler
    let logger: Logger
    private let datagramSendQueueLimit: Int

    private var streams: [StreamID: StreamDriver] = [:]
    private(set) var closeReason: QUICCloseReason?
    private var closedWaiters: [CheckedContinuation<QUICCloseReason, Never>] = []
    /// Callers of `requestKeyUpdate` whose update is pending (RFC 9001 §6.1 did not allow it yet).
    private var keyUpdateWaiters: [CheckedContinuation<Bool, Never>] = []
    /// Senders waiting for room in the DATAGRAM send queue, in order.
    /// Senders waiting for send-queue space, in order; each waits for its whole batch to be queued.
    private var parkedDatagrams: [ParkedDatagrams] = []

    struct ParkedDatagrams {
        var datagrams: [[UInt8]]
        var next = 0
        let waiter: LoopWaiter<Result<Void, QUICDatagramError>>
    }
    private(set) var maxDatagramPayload: Int?
    /// Received DATAGRAMs the application's stream buffer had no room for.
    private(set) var datagramsDroppedUnread = 0
    /// The statistics when the connection closed (the endpoint forgets the connection after its closing period).
    private var finalStatistics: QUICConnectionStatistics?

    /// Set once by `QUICNIOConnection.init` (the driver exists before the object whose streams it feeds).
    var datagramsOut: AsyncStream<[UInt8]>.Continuation?
    var streamsOut: AsyncStream<QUICNIOStream>.Continuation?
    var pathEventsOut: AsyncStream<QUICPathEvent>.Continuation?
    /// Set by an application that runs on the event loop: receives DATAGRAM payloads there, instead of
    /// `datagramsOut` (no task hop per datagram; the relay's forwarding path).
    var datagramHandler: (([UInt8]) -> Void)?
    /// Set by an on-loop application: receives path events there, instead of `pathEventsOut`.
    var pathEventHandler: ((QUICPathEvent) -> Void)?
    /// Set by an on-loop application: called once, on the loop, when the connection closes.
    var closeHandler: ((QUICCloseReason) -> Void)?
    /// Set by an on-loop application: every path and NAT traversal event, on the loop (in addition to
    /// `pathEventHandler` or `pathEvents`). A traversal session drives the connection from it.
    var connectionEventObserver: ((QUICConnectionEvent) -> Void)?

    init(handle: ConnectionHandle, role: EndpointRole, handler: QUICChannelHandler, datagramSendQueueLimit: Int,
         logger: Logger) {
        self.handle = handle
        self.role = role
        self.handler = handler
        self.datagramSendQueueLimit = datagramSendQueueLimit
        var logger = logger
        logger[metadataKey: "quic.connection"] = "\(handle)"
        self.logger = logger
    }

    var eventLoop: any EventLoop { handler.eventLoop }

    /// Runs `body` on the sans-IO connection and schedules a flush; nil when the endpoint forgot it.
    func withConnection<R>(_ body: (inout QUICConnection) -> R) -> R? {
        let result = handler.endpoint.withConnection(handle, body)
        handler.scheduleFlush()
        return result
    }

    // MARK: - Events

    func handle(_ event: QUICConnectionEvent) {
        switch event {
        case .connected:
            break
        case .streamOpened:
            acceptStreams()
        // The driver is taken out of the table before the call: the call may remove it (`forget`).
        case .streamReadable(let id):
            if let stream = streams[id] { stream.onReadable() }
        case .streamWritable(let id):
            if let stream = streams[id] { stream.onWritable() }
        case .streamReset(let id, let errorCode):
            if let stream = streams[id] { stream.onReset(errorCode: errorCode) }
        case .streamStopped(let id, let errorCode):
            if let stream = streams[id] { stream.onStopped(errorCode: errorCode) }
        case .datagram(let bytes):
            if let datagramHandler {
                datagramHandler(bytes)
            } else if case .dropped = datagramsOut?.yield(bytes) {
                datagramsDroppedUnread += 1
            }
        case .maxDatagramPayloadChanged(let maximum):
            maxDatagramPayload = maximum
        case .keysUpdated(let initiatedByPeer):
            if !initiatedByPeer {
                let waiters = keyUpdateWaiters
                keyUpdateWaiters.removeAll()
                for waiter in waiters { waiter.resume(returning: true) }
            }
            logger.debug("QUIC 1-RTT keys updated", metadata: ["quic.keyUpdate.byPeer": "\(initiatedByPeer)"])
        case .closed(let reason):
            finish(reason)
        case .pathValidated(let remote):
            report(.validated(remote))
            connectionEventObserver?(event)
        case .pathFailed(let remote):
            report(.failed(remote))
            connectionEventObserver?(event)
        case .peerAddressChanged(let remote):
            report(.peerAddressChanged(remote))
            connectionEventObserver?(event)
        case .activePathChanged(let remote):
            report(.activePathChanged(remote))
            connectionEventObserver?(event)
        case .addressAdvertised, .addressWithdrawn, .punchRequested, .addressObserved, .probeReceived:
            // Only connections configured to offer NAT traversal or address discovery see these.
            logger.debug("QUIC NAT traversal event", metadata: ["quic.traversal": "\(event)"])
            connectionEventObserver?(event)
        }
    }

    /// Path changes need no action from the shell (transmits carry their destination); the application hears.
    private func report(_ event: QUICPathEvent) {
        logger.debug("QUIC path event", metadata: ["quic.path": "\(event)"])
        if let pathEventHandler {
            pathEventHandler(event)
        } else {
            pathEventsOut?.yield(event)
        }
    }

    /// Takes every stream the peer opened and hands it to `incomingStreams`.
    private func acceptStreams() {
        while let id = withConnection({ $0.acceptStream() }) ?? nil {
            let stream = makeStream(id)
            streamsOut?.yield(stream)
        }
    }

    private func makeStream(_ id: StreamID) -> QUICNIOStream {
        // RFC 9000 §2.1: a unidirectional stream only sends from its initiator.
        let sends = id.isBidirectional || id.initiator == role
        let receives = id.isBidirectional || id.initiator != role
        let driver = StreamDriver(id: id, connection: self, sends: sends, receives: receives)
        streams[id] = driver
        return QUICNIOStream(id: id, driver: NIOLoopBound(driver, eventLoop: eventLoop))
    }

    /// A stream whose both halves are done no longer needs events.
    func forget(_ id: StreamID) {
        streams[id] = nil
    }

    /// The connection is closed: every waiter and consumer finishes.
    func finish(_ reason: QUICCloseReason) {
        guard closeReason == nil else { return }
        closeReason = reason
        finalStatistics = handler.endpoint.inspect(handle) { $0.statistics } ?? handler.endpoint.takeFinalStatistics(handle)
        let open = streams
        streams.removeAll()
        for stream in open.values { stream.connectionClosed(reason) }
        let parked = parkedDatagrams
        parkedDatagrams.removeAll()
        for entry in parked { entry.waiter.succeed(.failure(.notConnected)) }
        let waiters = closedWaiters
        closedWaiters.removeAll()
        for waiter in waiters { waiter.resume(returning: reason) }
        let keyUpdates = keyUpdateWaiters
        keyUpdateWaiters.removeAll()
        for waiter in keyUpdates { waiter.resume(returning: false) }
        datagramsOut?.finish()
        streamsOut?.finish()
        pathEventsOut?.finish()
        datagramHandler = nil
        pathEventHandler = nil
        connectionEventObserver = nil
        let onClose = closeHandler
        closeHandler = nil
        onClose?(reason)
        logger.debug("QUIC connection closed", metadata: ["quic.reason": "\(reason)"])
    }

    // MARK: - Operations

    func openStream(bidirectional: Bool) -> Result<QUICNIOStream, QUICNIOError> {
        if let closeReason { return .failure(.connectionClosed(closeReason)) }
        let opened = withConnection { connection in
            Result { () throws(QUICStreamError) in try connection.openStream(bidirectional: bidirectional) }
        }
        switch opened {
        case .success(let id)?: return .success(makeStream(id))
        case .failure(let error)?: return .failure(.stream(error))
        case nil: return .failure(.endpointClosed)
        }
    }

    func close(errorCode: UInt64, reason: String, continuation: CheckedContinuation<QUICCloseReason, Never>) {
        if let closeReason {
            continuation.resume(returning: closeReason)
            return
        }
        closedWaiters.append(continuation)
        let known: Void? = withConnection { $0.close(errorCode: errorCode, reason: reason, now: .now()) }
        if known == nil {
            finish(.local(QUICCloseError(isApplicationError: true, code: errorCode, reason: reason)))
        }
    }

    /// Starts a key update, or waits until RFC 9001 §6.1 allows it; false when the connection closes first.
    func requestKeyUpdate(_ continuation: CheckedContinuation<Bool, Never>) {
        guard closeReason == nil,
              let request = withConnection({ $0.requestKeyUpdate(now: .now()) }) else {
            continuation.resume(returning: false)
            return
        }
        switch request {
        case .started: continuation.resume(returning: true)
        case .pending: keyUpdateWaiters.append(continuation)
        }
    }

    func waitUntilClosed(_ continuation: CheckedContinuation<QUICCloseReason, Never>) {
        if let closeReason {
            continuation.resume(returning: closeReason)
        } else {
            closedWaiters.append(continuation)
        }
    }

    var statistics: QUICConnectionStatistics {
        finalStatistics ?? handler.endpoint.inspect(handle) { $0.statistics } ?? QUICConnectionStatistics()
    }

    /// The handshake-complete connection's largest DATAGRAM payload right now (nil: the peer accepts none).
    var currentMaxDatagramPayload: Int? {
        (handler.endpoint.inspect(handle) { $0.maxDatagramPayload } ?? nil) ?? maxDatagramPayload
    }

    var smoothedRTT: TimeAmount? {
        handler.endpoint.inspect(handle) { $0.smoothedRTT }
    }

    var remoteAddress: PathAddress? {
        handler.endpoint.inspect(handle) { $0.remoteAddress }
    }

    // MARK: - DATAGRAM (RFC 9221)

    private enum DatagramOutcome {
        case queued
        case full
        case rejected(QUICDatagramError)
    }

    /// Queues a DATAGRAM, or parks the sender while the connection's send queue is full (backpressure instead
    /// of the core's drop-oldest policy, which is for senders that do not wait).
    func sendDatagram(_ bytes: [UInt8], waiter: LoopWaiter<Result<Void, QUICDatagramError>>) {
        sendDatagrams([bytes], waiter: waiter)
    }

    /// Queues a batch of datagrams in order; the waiter completes once all of them are queued (one hop to the
    /// event loop for the whole batch).
    func sendDatagrams(_ batch: [[UInt8]], waiter: LoopWaiter<Result<Void, QUICDatagramError>>) {
        guard closeReason == nil else {
            waiter.succeed(.failure(.notConnected))
            return
        }
        var entry = ParkedDatagrams(datagrams: batch, waiter: waiter)
        if parkedDatagrams.isEmpty {
            switch advance(&entry) {
            case .queued:
                waiter.succeed(.success(()))
                return
            case .rejected(let error):
                waiter.succeed(.failure(error))
                return
            case .full:
                break
            }
        }
        parkedDatagrams.append(entry)
        handler.datagramSenderParked(handle)
    }

    /// Queues as much of a batch as the send queue takes: `.queued` once all of it is queued.
    private func advance(_ entry: inout ParkedDatagrams) -> DatagramOutcome {
        while entry.next < entry.datagrams.count {
            switch tryQueue(entry.datagrams[entry.next]) {
            case .queued: entry.next += 1
            case .full: return .full
            case .rejected(let error): return .rejected(error)
            }
        }
        return .queued
    }

    /// Queues one datagram. Only a datagram that was queued schedules a flush: a full queue changed nothing,
    /// and this runs inside `flush()` for parked senders — scheduling another flush there would make the loop
    /// run flush tasks back to back without ever reading the socket, so the ACKs that open the congestion
    /// window would never be read.
    private func tryQueue(_ bytes: [UInt8]) -> DatagramOutcome {
        let limit = datagramSendQueueLimit
        let outcome = handler.endpoint.withConnection(handle) { connection -> DatagramOutcome in
            guard connection.queuedDatagramCount < limit else { return .full }
            do throws(QUICDatagramError) {
                try connection.sendDatagram(bytes)
                return .queued
            } catch {
                return .rejected(error)
            }
        }
        if case .queued? = outcome { handler.scheduleFlush() }
        return outcome ?? .rejected(.notConnected)
    }

    var hasParkedDatagrams: Bool { !parkedDatagrams.isEmpty }

    /// Datagrams the send queue takes before it is full (0 once the connection is gone).
    var datagramSendQueueRoom: Int {
        let queued = handler.endpoint.inspect(handle) { $0.queuedDatagramCount } ?? datagramSendQueueLimit
        return max(0, datagramSendQueueLimit - queued)
    }

    /// Moves parked datagrams into the send queue while it has room; true when any moved.
    func serviceParkedDatagrams() -> Bool {
        var moved = false
        while !parkedDatagrams.isEmpty {
            let before = parkedDatagrams[0].next
            let outcome = advance(&parkedDatagrams[0])
            if parkedDatagrams[0].next > before { moved = true }
            switch outcome {
            case .full:
                return moved
            case .queued:
                parkedDatagrams.removeFirst().waiter.succeed(.success(()))
            case .rejected(let error):
                parkedDatagrams.removeFirst().waiter.succeed(.failure(error))
            }
        }
        return moved
    }

    /// A sender waiting for queue space was cancelled: its datagram is discarded (datagrams are unreliable).
    func cancelDatagram(_ token: CancellationToken) {
        guard let index = parkedDatagrams.firstIndex(where: { $0.waiter.token === token }) else { return }
        let entry = parkedDatagrams.remove(at: index)
        entry.waiter.fail(.cancelled)
    }
}
