public import QUICCore
import NIOCore

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

    /// The statistics, read on the event loop.
    public var statisticsOnLoop: QUICConnectionStatistics { driver.value.statistics }
}
