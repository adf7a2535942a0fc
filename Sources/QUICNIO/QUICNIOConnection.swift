public import NIOCore
public import QUICCore
import QUICWire

/// An established QUIC connection, driven by a `QUICNIOEndpoint`'s event loop.
///
/// Obtained from `QUICClient.connect`, `QUICNIOEndpoint.connect`, or a server's `connections`. The handshake
/// is complete (RFC 9001 §4.1.1) when you get it; its TLS facts are fixed properties. Everything else is read
/// or changed on the event loop: the async members hop there.
///
/// Everything finishes when the connection closes: `datagrams` and `incomingStreams` end, waiting stream
/// operations throw `.connectionClosed(reason)`, and `closed` returns the reason.
public final class QUICNIOConnection: Sendable, Hashable, CustomStringConvertible {
    // MARK: - Handshake results (fixed once established)

    /// The connection's handle in its endpoint.
    public let handle: ConnectionHandle
    /// Whether we are the client.
    public let isClient: Bool
    /// The ALPN protocol both sides agreed on (RFC 9001 §8.1).
    public let negotiatedALPN: String?
    /// The peer's certificate chain (DER, leaf first); empty when the peer sent none.
    public let peerCertificateChain: [[UInt8]]
    /// The TLS 1.3 cipher suite (0x1301 AES-128-GCM, 0x1302 AES-256-GCM, 0x1303 ChaCha20-Poly1305).
    public let negotiatedCipherSuite: UInt16?
    /// The key exchange group (e.g. "X25519MLKEM768").
    public let negotiatedGroup: String?
    /// Server side: the server name (SNI) the client asked for.
    public let requestedServerName: String?

    // MARK: - Incoming data

    /// Payloads of received DATAGRAM frames (RFC 9221), in arrival order. Single consumer. When the consumer
    /// falls behind by more than the connection's `datagramReceiveQueueLimit`, new arrivals are dropped (and
    /// counted), as datagrams may be.
    public let datagrams: AsyncStream<[UInt8]>
    /// Streams the peer opened (RFC 9000 §2.1). Single consumer.
    public let incomingStreams: AsyncStream<QUICNIOStream>
    /// What happens to the connection's paths (validation, failure, the peer's new address, the active path
    /// changing): what NAT traversal and failover act on. Single consumer; the most recent 64 are kept.
    public let pathEvents: AsyncStream<QUICPathEvent>

    let driver: NIOLoopBound<ConnectionDriver>

    /// Called on the event loop when the handshake completed.
    init(driver: ConnectionDriver, connection: QUICConnection, eventLoop: any EventLoop, datagramBufferLimit: Int) {
        handle = driver.handle
        isClient = connection.role == .client
        negotiatedALPN = connection.negotiatedALPN
        peerCertificateChain = connection.peerCertificateChain
        negotiatedCipherSuite = connection.negotiatedCipherSuite
        negotiatedGroup = connection.negotiatedGroup
        requestedServerName = connection.requestedServerName
        let (datagrams, datagramsOut) = AsyncStream.makeStream(of: [UInt8].self,
                                                               bufferingPolicy: .bufferingOldest(max(1, datagramBufferLimit)))
        let (streams, streamsOut) = AsyncStream.makeStream(of: QUICNIOStream.self)
        let (paths, pathsOut) = AsyncStream.makeStream(of: QUICPathEvent.self, bufferingPolicy: .bufferingNewest(64))
        self.datagrams = datagrams
        incomingStreams = streams
        pathEvents = paths
        driver.datagramsOut = datagramsOut
        driver.streamsOut = streamsOut
        driver.pathEventsOut = pathsOut
        self.driver = NIOLoopBound(driver, eventLoop: eventLoop)
    }

    /// The event loop the connection runs on.
    public var eventLoop: any EventLoop { driver.eventLoop }

    public var description: String { "QUICNIOConnection(\(handle), \(isClient ? "client" : "server"))" }

    // MARK: - DATAGRAM (RFC 9221)

    /// Sends one DATAGRAM frame's payload (unreliable: never retransmitted). Suspends while the connection's
    /// DATAGRAM send queue is full, so a fast sender is paced by congestion control instead of losing
    /// datagrams at the sender. A task cancelled while waiting discards its datagram.
    ///
    /// - Throws: `.tooLarge(maximum:)` above `maxDatagramPayload`, `.unsupportedByPeer` when the peer did not
    ///   advertise max_datagram_frame_size, `.notConnected` once the connection is closed.
    public func send(datagram: [UInt8]) async throws(QUICDatagramError) {
        let driver = self.driver
        let result = await driver.eventLoop.waitOnLoop(
            register: { waiter in driver.value.sendDatagram(datagram, waiter: waiter) },
            cancel: { token in driver.value.cancelDatagram(token) })
        switch result {
        case .success(let outcome): try outcome.get()
        case .failure(.cancelled): return
        case .failure: throw .notConnected
        }
    }

    /// Queues several DATAGRAMs in order with one hop to the event loop; returns once all are queued
    /// (suspending while the send queue is full). Throws like `send(datagram:)` for the first that fails.
    public func send(datagrams: [[UInt8]]) async throws(QUICDatagramError) {
        let driver = self.driver
        let result = await driver.eventLoop.waitOnLoop(
            register: { waiter in driver.value.sendDatagrams(datagrams, waiter: waiter) },
            cancel: { token in driver.value.cancelDatagram(token) })
        switch result {
        case .success(let outcome): try outcome.get()
        case .failure(.cancelled): return
        case .failure: throw .notConnected
        }
    }

    /// The largest DATAGRAM payload we can send now (nil: the peer accepts none), RFC 9221 §3.
    public var maxDatagramPayload: Int? {
        get async {
            let driver = self.driver
            return await driver.eventLoop.runOnLoop { driver.value.maxDatagramPayload }
        }
    }

    // MARK: - Streams

    /// Opens a stream of ours.
    ///
    /// - Throws: `.stream(.streamLimitReached)` when the peer's MAX_STREAMS limit is exhausted (RFC 9000 §4.6;
    ///   a STREAMS_BLOCKED frame tells the peer), `.connectionClosed` once closed.
    public func openStream(bidirectional: Bool = true) async throws(QUICNIOError) -> QUICNIOStream {
        let driver = self.driver
        return try await driver.eventLoop.runOnLoop { driver.value.openStream(bidirectional: bidirectional) }.get()
    }

    // MARK: - Closing

    /// Closes the connection with an application error code (CONNECTION_CLOSE type 0x1d, RFC 9000 §19.19)
    /// and returns once the close was handed to the socket. Returns at once when already closed.
    public func close(errorCode: UInt64 = 0, reason: String = "") async {
        let driver = self.driver
        _ = await withCheckedContinuation { continuation in
            driver.eventLoop.execute { driver.value.close(errorCode: errorCode, reason: reason, continuation: continuation) }
        }
    }

    /// Starts a 1-RTT key update (RFC 9001 §6) and returns true once it started. When RFC 9001 §6.1 does not
    /// allow one yet (handshake not confirmed, or no packet of the current key phase acknowledged) it waits
    /// until it does; false when the connection closes first.
    public func requestKeyUpdate() async -> Bool {
        let driver = self.driver
        return await withCheckedContinuation { continuation in
            driver.eventLoop.execute { driver.value.requestKeyUpdate(continuation) }
        }
    }

    /// Key updates so far: started by us, and started by the peer and followed.
    public var keyUpdates: (initiated: Int, responded: Int) {
        get async {
            let driver = self.driver
            let counts = await driver.eventLoop.runOnLoop { () -> [Int] in
                let updates = driver.value.handler.endpoint.inspect(driver.value.handle) { $0.keyUpdates }
                return [updates?.initiated ?? 0, updates?.responded ?? 0]
            }
            return (counts[0], counts[1])
        }
    }

    /// Why the connection closed; suspends until it does.
    public var closed: QUICCloseReason {
        get async {
            let driver = self.driver
            return await withCheckedContinuation { continuation in
                driver.eventLoop.execute { driver.value.waitUntilClosed(continuation) }
            }
        }
    }

    // MARK: - Observation

    /// A snapshot of the connection's counters (packets, bytes, losses, datagrams).
    public var statistics: QUICConnectionStatistics {
        get async {
            let driver = self.driver
            return await driver.eventLoop.runOnLoop { driver.value.statistics }
        }
    }

    /// Received DATAGRAMs dropped because the `datagrams` consumer fell behind.
    public var datagramsDroppedUnread: Int {
        get async {
            let driver = self.driver
            return await driver.eventLoop.runOnLoop { driver.value.datagramsDroppedUnread }
        }
    }

    /// The current path's remote address (nil once the endpoint forgot the connection).
    public var remoteAddress: PathAddress? {
        get async {
            let driver = self.driver
            return await driver.eventLoop.runOnLoop { driver.value.remoteAddress }
        }
    }

    // MARK: - Hashable

    public static func == (lhs: QUICNIOConnection, rhs: QUICNIOConnection) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}
