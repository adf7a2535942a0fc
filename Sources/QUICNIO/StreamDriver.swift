import NIOCore
import QUICCore

/// The event-loop side of one stream: at most one waiting read and one waiting write, resumed by the
/// connection's `.streamReadable`/`.streamWritable` events (RFC 9000 §2–§4: flow control and the send
/// buffer are the backpressure).
///
/// Invariant: loop-bound, like its `ConnectionDriver`.
final class StreamDriver {
    /// Our receiving half, as the application sees it.
    enum ReadSide {
        case open
        /// The FIN was read (or we asked the peer to stop sending): reads return nil.
        case finished
        /// The peer sent RESET_STREAM with this code.
        case reset(UInt64)
        /// The stream has no receiving half for us (our unidirectional stream).
        case none
    }

    /// Our sending half, as the application sees it.
    enum WriteSide {
        case open
        /// The FIN was queued, or we reset the stream.
        case finished
        /// The peer sent STOP_SENDING with this code.
        case stopped(UInt64)
        /// The stream has no sending half for us (the peer's unidirectional stream).
        case none
    }

    private struct PendingWrite {
        var waiter: LoopWaiter<Void>
        var bytes: [UInt8]
        var offset: Int
        var fin: Bool
    }

    let id: StreamID
    private let connection: ConnectionDriver
    private var readSide: ReadSide
    private var writeSide: WriteSide
    private var pendingRead: (waiter: LoopWaiter<[UInt8]?>, maxBytes: Int)?
    private var pendingWrite: PendingWrite?
    private var closeReason: QUICCloseReason?

    init(id: StreamID, connection: ConnectionDriver, sends: Bool, receives: Bool) {
        self.id = id
        self.connection = connection
        readSide = receives ? .open : .none
        writeSide = sends ? .open : .none
    }

    // MARK: - Reading

    func read(maxBytes: Int, waiter: LoopWaiter<[UInt8]?>) {
        if let closeReason {
            waiter.fail(.connectionClosed(closeReason))
            return
        }
        switch readSide {
        case .finished: waiter.succeed(nil); return
        case .reset(let code): waiter.fail(.stream(.reset(errorCode: code))); return
        case .none: waiter.fail(.stream(.notReadable)); return
        case .open: break
        }
        guard pendingRead == nil else {
            waiter.fail(.operationInProgress)
            return
        }
        pendingRead = (waiter, max(1, maxBytes))
        attemptRead()
    }

    private func attemptRead() {
        guard let pending = pendingRead else { return }
        let id = self.id
        let result = connection.withConnection { connection in
            Result { () throws(QUICStreamError) in try connection.read(from: id, maxBytes: pending.maxBytes, now: .now()) }
        }
        switch result {
        case .success(let (bytes, fin))?:
            if fin { readSide = .finished }
            if !bytes.isEmpty {
                pendingRead = nil
                pending.waiter.succeed(bytes)
            } else if fin {
                pendingRead = nil
                pending.waiter.succeed(nil)
            }
        case .failure(.reset(let code))?:
            readSide = .reset(code)
            pendingRead = nil
            pending.waiter.fail(.stream(.reset(errorCode: code)))
        case .failure(.notConnected)?, nil:
            break   // the connection is closing; its `.closed` event fails the read with the reason
        case .failure(let error)?:
            pendingRead = nil
            pending.waiter.fail(.stream(error))
        }
        forgetIfDone()
    }

    func cancelRead(_ token: CancellationToken) {
        guard let pending = pendingRead, pending.waiter.token === token else { return }
        pendingRead = nil
        pending.waiter.fail(.cancelled)
    }

    func onReadable() {
        attemptRead()
    }

    func onReset(errorCode: UInt64) {
        readSide = .reset(errorCode)
        if let pending = pendingRead {
            pendingRead = nil
            pending.waiter.fail(.stream(.reset(errorCode: errorCode)))
        }
        forgetIfDone()
    }

    /// STOP_SENDING (RFC 9000 §19.5): we no longer want the peer's data; reads end.
    func stopSending(errorCode: UInt64) {
        guard closeReason == nil, case .open = readSide else { return }
        let id = self.id
        _ = connection.withConnection { $0.stopSending(id, errorCode: errorCode) }
        readSide = .finished
        if let pending = pendingRead {
            pendingRead = nil
            pending.waiter.succeed(nil)
        }
        forgetIfDone()
    }

    // MARK: - Writing

    func write(_ bytes: [UInt8], fin: Bool, waiter: LoopWaiter<Void>) {
        if let closeReason {
            waiter.fail(.connectionClosed(closeReason))
            return
        }
        switch writeSide {
        case .finished: waiter.fail(.stream(.finished)); return
        case .stopped(let code): waiter.fail(.streamStopped(errorCode: code)); return
        case .none: waiter.fail(.stream(.notWritable)); return
        case .open: break
        }
        guard pendingWrite == nil else {
            waiter.fail(.operationInProgress)
            return
        }
        pendingWrite = PendingWrite(waiter: waiter, bytes: bytes, offset: 0, fin: fin)
        attemptWrite()
    }

    /// Offers the rest of the pending write to the connection; the send buffer takes what fits and the
    /// rest waits for `.streamWritable`.
    private func attemptWrite() {
        guard var pending = pendingWrite else { return }
        let id = self.id
        // The first attempt passes the caller's array itself (no copy).
        let chunk = pending.offset == 0 ? pending.bytes : Array(pending.bytes[pending.offset...])
        let result = connection.withConnection { connection in
            Result { () throws(QUICStreamError) in try connection.write(chunk, to: id, fin: pending.fin) }
        }
        switch result {
        case .success(let accepted)?:
            pending.offset += accepted
            if pending.offset >= pending.bytes.count {
                pendingWrite = nil
                if pending.fin { writeSide = .finished }
                pending.waiter.succeed(())
            } else {
                pendingWrite = pending
            }
        case .failure(.notConnected)?, nil:
            break   // the connection is closing; its `.closed` event fails the write with the reason
        case .failure(.stopped(let code))?:
            // STOP_SENDING was processed before its event reached us.
            pendingWrite = nil
            writeSide = .stopped(code)
            pending.waiter.fail(.streamStopped(errorCode: code))
        case .failure(let error)?:
            pendingWrite = nil
            pending.waiter.fail(.stream(error))
        }
        forgetIfDone()
    }

    func cancelWrite(_ token: CancellationToken) {
        guard let pending = pendingWrite, pending.waiter.token === token else { return }
        pendingWrite = nil
        pending.waiter.fail(.cancelled)
    }

    func onWritable() {
        attemptWrite()
    }

    func onStopped(errorCode: UInt64) {
        writeSide = .stopped(errorCode)
        if let pending = pendingWrite {
            pendingWrite = nil
            pending.waiter.fail(.streamStopped(errorCode: errorCode))
        }
        forgetIfDone()
    }

    /// RESET_STREAM (RFC 9000 §19.4): abandon what was not delivered yet.
    func reset(errorCode: UInt64) {
        guard closeReason == nil else { return }
        switch writeSide {
        case .open, .finished: break
        case .stopped, .none: return
        }
        let id = self.id
        _ = connection.withConnection { $0.resetStream(id, errorCode: errorCode) }
        writeSide = .finished
        if let pending = pendingWrite {
            pendingWrite = nil
            pending.waiter.fail(.stream(.finished))
        }
        forgetIfDone()
    }

    // MARK: - Lifecycle

    func connectionClosed(_ reason: QUICCloseReason) {
        closeReason = reason
        if let pending = pendingRead {
            pendingRead = nil
            pending.waiter.fail(.connectionClosed(reason))
        }
        if let pending = pendingWrite {
            pendingWrite = nil
            pending.waiter.fail(.connectionClosed(reason))
        }
    }

    /// Both halves are done from the application's side: no event for this stream matters any more.
    private func forgetIfDone() {
        guard pendingRead == nil, pendingWrite == nil else { return }
        if case .open = readSide { return }
        if case .open = writeSide { return }
        connection.forget(id)
    }
}
