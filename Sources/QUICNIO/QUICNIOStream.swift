public import NIOCore
public import QUICCore

/// One QUIC stream of a `QUICNIOConnection` (RFC 9000 §2), with async reads and writes.
///
/// A stream has one reader and one writer: a second `read()` (or `write`) while one is waiting fails with
/// `.operationInProgress`. Everything finishes when the connection closes: waiting calls throw
/// `.connectionClosed(reason)`.
///
/// Thread safety: the stream's state is loop-bound (`NIOLoopBound`); every method hops to the connection's
/// event loop, so the object may be used from any task.
public final class QUICNIOStream: Sendable, Hashable, CustomStringConvertible {
    /// The stream ID (RFC 9000 §2.1).
    public let id: StreamID
    private let driver: NIOLoopBound<StreamDriver>

    init(id: StreamID, driver: NIOLoopBound<StreamDriver>) {
        self.id = id
        self.driver = driver
    }

    /// The event loop the stream's connection runs on.
    public var eventLoop: any EventLoop { driver.eventLoop }

    public var description: String { "QUICNIOStream(\(id))" }

    // MARK: - Reading

    /// The next bytes received in order, at most `maxBytes`; nil once the peer's FIN was read (or after
    /// `stopSending`). Suspends until data arrives.
    ///
    /// - Throws: `.stream(.reset(errorCode:))` when the peer reset the stream (RFC 9000 §19.4),
    ///   `.connectionClosed` when the connection closed, `.cancelled` when the task was cancelled.
    public func read(maxBytes: Int = 65_536) async throws(QUICNIOError) -> [UInt8]? {
        let driver = self.driver
        return try await driver.eventLoop.waitOnLoop(
            register: { waiter in driver.value.read(maxBytes: maxBytes, waiter: waiter) },
            cancel: { token in driver.value.cancelRead(token) }
        ).get()
    }

    // MARK: - Writing

    /// Queues `bytes` on the stream (and the FIN after them when `finish` is true). Suspends while the
    /// connection's send buffer for the stream is full and resumes on `.streamWritable` once acknowledgements
    /// free space, so a fast writer is paced by flow control (RFC 9000 §4).
    ///
    /// - Throws: `.streamStopped(errorCode:)` when the peer sent STOP_SENDING, `.stream(.finished)` after
    ///   `finish()`/`reset`, `.connectionClosed`, `.cancelled` (a prefix of `bytes` may have been queued).
    public func write(_ bytes: [UInt8], finish: Bool = false) async throws(QUICNIOError) {
        let driver = self.driver
        try await driver.eventLoop.waitOnLoop(
            register: { waiter in driver.value.write(bytes, fin: finish, waiter: waiter) },
            cancel: { token in driver.value.cancelWrite(token) }
        ).get()
    }

    /// Ends our sending half with a FIN after everything written so far (RFC 9000 §3.1).
    public func finish() async throws(QUICNIOError) {
        try await write([], finish: true)
    }

    // MARK: - Aborting

    /// Abandons our sending half with RESET_STREAM (RFC 9000 §19.4); a waiting write fails.
    public func reset(errorCode: UInt64) {
        let driver = self.driver
        driver.eventLoop.execute { driver.value.reset(errorCode: errorCode) }
    }

    /// Asks the peer to stop sending with STOP_SENDING (RFC 9000 §19.5); later reads return nil.
    public func stopSending(errorCode: UInt64) {
        let driver = self.driver
        driver.eventLoop.execute { driver.value.stopSending(errorCode: errorCode) }
    }

    // MARK: - Hashable

    public static func == (lhs: QUICNIOStream, rhs: QUICNIOStream) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
