public import NIOCore

extension QUICConnection {
    // MARK: - Streams (RFC 9000 §2, §3)

    /// Opens a stream. Throws `.streamLimitReached` when the peer's MAX_STREAMS is exhausted (a
    /// STREAMS_BLOCKED frame tells the peer), `.notConnected` before the handshake completes.
    public mutating func openStream(bidirectional: Bool = true) throws(QUICStreamError) -> StreamID {
        guard state == .established else { throw .notConnected }
        guard let id = streams.open(bidirectional: bidirectional) else { throw .streamLimitReached }
        return id
    }

    /// The next stream the peer opened that the application has not accepted yet.
    public mutating func acceptStream() -> StreamID? {
        streams.accept()
    }

    /// Queues bytes on a stream and returns how many were accepted; when fewer than offered, the stream's
    /// send buffer is full and `.streamWritable` follows once acknowledgements free space.
    @discardableResult
    public mutating func write(_ bytes: [UInt8], to id: StreamID, fin: Bool = false) throws(QUICStreamError) -> Int {
        guard state == .established else { throw .notConnected }
        return try streams.write(id, bytes, fin: fin)
    }

    /// Ends the stream's send side (FIN after the bytes already written).
    public mutating func finish(_ id: StreamID) throws(QUICStreamError) {
        guard state == .established else { throw .notConnected }
        try streams.finish(id)
    }

    /// Reads up to `maxBytes` in-order bytes. `fin` is true once the peer's FIN was reached.
    public mutating func read(from id: StreamID, maxBytes: Int = .max,
                              now: NIODeadline) throws(QUICStreamError) -> (bytes: [UInt8], fin: Bool) {
        guard state == .established else { throw .notConnected }
        return try streams.read(id, maxBytes: maxBytes, now: now, smoothedRTT: recovery.rtt.smoothedRTT)
    }

    /// Abandons the send side with RESET_STREAM.
    public mutating func resetStream(_ id: StreamID, errorCode: UInt64) {
        streams.reset(id, errorCode: errorCode)
    }

    /// Asks the peer to stop sending on the stream (STOP_SENDING).
    public mutating func stopSending(_ id: StreamID, errorCode: UInt64) {
        streams.stopSending(id, errorCode: errorCode)
    }

    // MARK: - Datagrams (RFC 9221)

    /// Queues an unreliable DATAGRAM. Throws when the peer does not accept datagrams or `bytes` exceeds
    /// `maxDatagramPayload`. When the send queue is full the oldest queued datagram is dropped and counted.
    public mutating func sendDatagram(_ bytes: [UInt8]) throws(QUICDatagramError) {
        guard state == .established else { throw .notConnected }
        guard let maximum = maxDatagramPayload else { throw .unsupportedByPeer }
        guard bytes.count <= maximum else { throw .tooLarge(maximum: maximum) }
        if datagramSendQueue.count >= configuration.datagramSendQueueLimit {
            datagramSendQueue.removeFirst()
            datagramsDroppedOnSend += 1
            statistics.datagramsDropped += 1
        }
        datagramSendQueue.append(bytes)
    }

    /// Datagrams waiting to be sent.
    public var queuedDatagramCount: Int { datagramSendQueue.count }
}

/// Errors of `sendDatagram`.
public enum QUICDatagramError: Error, Sendable, Hashable {
    case notConnected
    /// The peer did not advertise max_datagram_frame_size (RFC 9221 §3).
    case unsupportedByPeer
    /// Larger than the current path and the peer's limit allow.
    case tooLarge(maximum: Int)
}
