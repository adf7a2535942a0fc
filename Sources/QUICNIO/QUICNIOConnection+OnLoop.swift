public import QUICCore
public import NIOCore

/// The fast path for applications that run on the endpoint's event loop.
///
/// The relay forwards every DATAGRAM from one connection to another; a hop to a task and back per datagram
/// would cost more than the forwarding itself. Code already on `eventLoop` (for example inside the handler
/// below) uses these instead of the async API. Calling them from anywhere else traps in debug builds
/// (`NIOLoopBound`).
extension QUICNIOConnection {
    /// Delivers received DATAGRAM payloads to `handler`, on the event loop, instead of `datagrams`; nil goes
    /// back to `datagrams`. The handler is dropped when the connection closes.
    public func setDatagramHandlerOnLoop(_ handler: (([UInt8]) -> Void)?) {
        driver.value.datagramHandler = handler
    }

    /// Queues a DATAGRAM without waiting. When the connection's send queue is full, the oldest queued datagram
    /// makes room and is counted in `statistics.datagramsDropped` (a relay drops, it never blocks).
    public func sendDatagramOnLoop(_ bytes: [UInt8]) -> Result<Void, QUICDatagramError> {
        let driver = self.driver.value
        let result = driver.withConnection { connection in
            Result { () throws(QUICDatagramError) in try connection.sendDatagram(bytes) }
        }
        return result ?? .failure(.notConnected)
    }

    /// How many DATAGRAMs the send queue takes before it is full: an on-loop sender that queues no more than
    /// this never makes `sendDatagramOnLoop` drop a queued datagram.
    public var datagramSendQueueRoomOnLoop: Int { driver.value.datagramSendQueueRoom }

    /// The statistics, read on the event loop.
    public var statisticsOnLoop: QUICConnectionStatistics { driver.value.statistics }

    /// Delivers path events to `handler`, on the event loop, instead of `pathEvents`; nil goes back to
    /// `pathEvents`. The handler is dropped when the connection closes.
    public func setPathEventHandlerOnLoop(_ handler: ((QUICPathEvent) -> Void)?) {
        driver.value.pathEventHandler = handler
    }

    /// Calls `handler` once, on the event loop, when the connection closes — at once if it already has.
    /// One handler per connection; a later call replaces an earlier one.
    public func setCloseHandlerOnLoop(_ handler: @escaping (QUICCloseReason) -> Void) {
        let driver = self.driver.value
        if let reason = driver.closeReason {
            handler(reason)
        } else {
            driver.closeHandler = handler
        }
    }

    /// Starts closing with an application CONNECTION_CLOSE (RFC 9000 §10.2) without waiting; the close
    /// handler and `closed` report the end.
    public func closeOnLoop(errorCode: UInt64, reason: String) {
        let driver = self.driver.value
        guard driver.closeReason == nil else { return }
        let known: Void? = driver.withConnection { $0.close(errorCode: errorCode, reason: reason, now: .now()) }
        if known == nil {
            driver.finish(.local(QUICCloseError(isApplicationError: true, code: errorCode, reason: reason)))
        }
    }

    /// The largest DATAGRAM payload the peer accepts now (nil: it advertised no DATAGRAM support, RFC 9221 §3).
    public var maxDatagramPayloadOnLoop: Int? { driver.value.currentMaxDatagramPayload }

    /// The active path's remote address, read on the event loop (nil once the endpoint forgot the connection).
    public var remoteAddressOnLoop: PathAddress? { driver.value.remoteAddress }

    /// The smoothed RTT of the active path, read on the event loop.
    public var smoothedRTTOnLoop: TimeAmount? { driver.value.smoothedRTT }

    /// Delivers every path and NAT traversal event (`QUICConnectionEvent`) to `observer`, on the event loop;
    /// nil stops. Dropped when the connection closes.
    public func setConnectionEventObserverOnLoop(_ observer: ((QUICConnectionEvent) -> Void)?) {
        driver.value.connectionEventObserver = observer
    }

    /// Runs `body` on the sans-IO connection, on the event loop, and schedules a flush: the door through which
    /// a sans-IO policy (a NAT traversal session) drives the connection. Nil once the endpoint forgot it.
    public func withCoreOnLoop<R>(_ body: (inout QUICConnection) -> R) -> R? {
        driver.value.withConnection(body)
    }
}
