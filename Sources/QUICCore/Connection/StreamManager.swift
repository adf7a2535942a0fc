public import DequeModule
public import NIOCore
public import QUICWire

/// All streams of a connection, stream-count limits and connection-level flow control (RFC 9000 §2–§4).
///
/// The connection feeds it received STREAM-family frames and asks it for frames to send; it never sees
/// packets. Everything that goes out is reported back as acknowledged or lost through `onAcked`/`onLost`.
struct StreamManager: Sendable {
    let role: EndpointRole
    private(set) var streams: [StreamID: StreamState] = [:]
    private let configuration: StreamLimits

    // MARK: Streams we open (limits the peer grants, RFC 9000 §4.6)
    private var nextLocalIndex = (bidirectional: UInt64(0), unidirectional: UInt64(0))
    private var localLimit = (bidirectional: UInt64(0), unidirectional: UInt64(0))
    private var streamsBlockedPending = (bidirectional: false, unidirectional: false)

    // MARK: Streams the peer opens (limits we grant)
    private var remoteOpened = (bidirectional: UInt64(0), unidirectional: UInt64(0))
    private var remoteLimit: (bidirectional: UInt64, unidirectional: UInt64)
    private var remoteClosed = (bidirectional: UInt64(0), unidirectional: UInt64(0))
    private var maxStreamsPending = (bidirectional: false, unidirectional: false)

    // MARK: Connection flow control (RFC 9000 §4.1)
    private var connectionCredit = SendFlowCredit(limit: 0)
    private(set) var connectionBytesSent: UInt64 = 0
    private var connectionWindow: ReceiveFlowWindow
    private var connectionBytesReceived: UInt64 = 0
    private var connectionBytesConsumed: UInt64 = 0
    private var maxDataPending = false
    private var dataBlockedPending = false

    // MARK: The peer's initial per-stream limits (RFC 9000 §18.2)
    private var peerInitialMaxStreamData = (bidiLocal: UInt64(0), bidiRemote: UInt64(0), uni: UInt64(0))

    // MARK: Scheduling
    /// Streams with frames to send, served round-robin.
    private var sendOrder = Deque<StreamID>()
    private var scheduled = Set<StreamID>()
    /// Peer-opened streams the application has not accepted yet.
    private var acceptQueue = Deque<StreamID>()
    /// Events for the connection to emit.
    var events = Deque<QUICConnectionEvent>()
    private var readableReported = Set<StreamID>()

    struct StreamLimits: Sendable {
        var initialMaxStreamData: UInt64
        var maxStreamWindow: UInt64
        var initialMaxData: UInt64
        var maxConnectionWindow: UInt64
        var maxStreamsBidi: UInt64
        var maxStreamsUni: UInt64
        var sendBufferLimit: Int
    }

    init(role: EndpointRole, configuration: QUICConfiguration) {
        self.role = role
        self.configuration = StreamLimits(
            initialMaxStreamData: configuration.initialMaxStreamData, maxStreamWindow: configuration.maxStreamWindow,
            initialMaxData: configuration.initialMaxData, maxConnectionWindow: configuration.maxConnectionWindow,
            maxStreamsBidi: configuration.initialMaxStreamsBidi, maxStreamsUni: configuration.initialMaxStreamsUni,
            sendBufferLimit: configuration.streamSendBufferLimit)
        remoteLimit = (configuration.initialMaxStreamsBidi, configuration.initialMaxStreamsUni)
        connectionWindow = ReceiveFlowWindow(initialWindow: configuration.initialMaxData,
                                             maxWindow: configuration.maxConnectionWindow)
    }

    /// Applies the peer's transport parameters (RFC 9000 §7.4): initial credit and stream limits.
    mutating func applyPeerTransportParameters(_ parameters: TransportParameters) {
        _ = connectionCredit.raise(to: parameters.initialMaxData)
        localLimit = (parameters.initialMaxStreamsBidi, parameters.initialMaxStreamsUni)
        peerInitialMaxStreamData = (parameters.initialMaxStreamDataBidiLocal,
                                    parameters.initialMaxStreamDataBidiRemote, parameters.initialMaxStreamDataUni)
    }

    // MARK: - Opening and accepting

    /// Opens a stream of ours; nil when the peer's MAX_STREAMS limit is reached (STREAMS_BLOCKED is sent).
    mutating func open(bidirectional: Bool) -> StreamID? {
        let index = bidirectional ? nextLocalIndex.bidirectional : nextLocalIndex.unidirectional
        let limit = bidirectional ? localLimit.bidirectional : localLimit.unidirectional
        guard index < limit else {
            if bidirectional { streamsBlockedPending.bidirectional = true } else { streamsBlockedPending.unidirectional = true }
            return nil
        }
        if bidirectional { nextLocalIndex.bidirectional += 1 } else { nextLocalIndex.unidirectional += 1 }
        let id = StreamID(index: index, initiator: role, bidirectional: bidirectional)
        // RFC 9000 §18.2: for our bidirectional streams the peer's limit is its "bidi_remote"; for ours
        // unidirectional its "uni".
        let sendLimit = bidirectional ? peerInitialMaxStreamData.bidiRemote : peerInitialMaxStreamData.uni
        streams[id] = StreamState(id: id, sends: true, receives: bidirectional, sendLimit: sendLimit,
                                  receiveWindow: configuration.initialMaxStreamData,
                                  maxReceiveWindow: configuration.maxStreamWindow)
        return id
    }

    /// The next peer-opened stream the application has not taken yet.
    mutating func accept() -> StreamID? { acceptQueue.popFirst() }

    var hasBlockedStreamsFrame: Bool { streamsBlockedPending.bidirectional || streamsBlockedPending.unidirectional }

    /// Finds the stream a received frame refers to, opening peer streams implicitly (RFC 9000 §3.2).
    /// Returns nil for a stream that already finished and was forgotten (its frames are ignored).
    private mutating func streamForFrame(_ rawID: UInt64, frameType: UInt64, receiving: Bool) throws(QUICWireError) -> StreamID? {
        let id = StreamID(rawValue: rawID)
        if id.initiator == role {
            // RFC 9000 §19.8: receiving on our own unidirectional stream, or a stream we never opened.
            if receiving && !id.isBidirectional {
                throw QUICWireError(.streamStateError, frameType: frameType, "frame for a send-only stream")
            }
            let next = id.isBidirectional ? nextLocalIndex.bidirectional : nextLocalIndex.unidirectional
            guard id.index < next else {
                throw QUICWireError(.streamStateError, frameType: frameType, "frame for a stream not yet opened")
            }
            return streams[id] == nil ? nil : id
        }
        if !receiving && !id.isBidirectional {
            // MAX_STREAM_DATA/STOP_SENDING for a peer's unidirectional stream: we never send on it.
            throw QUICWireError(.streamStateError, frameType: frameType, "frame for a receive-only stream")
        }
        let opened = id.isBidirectional ? remoteOpened.bidirectional : remoteOpened.unidirectional
        if id.index < opened { return streams[id] == nil ? nil : id }
        let limit = id.isBidirectional ? remoteLimit.bidirectional : remoteLimit.unidirectional
        guard id.index < limit else {
            throw QUICWireError(.streamLimitError, frameType: frameType, "peer exceeded MAX_STREAMS")
        }
        // Opening stream n implicitly opens all lower-numbered streams of the same type (RFC 9000 §3.2).
        for index in opened...id.index {
            let newID = StreamID(index: index, initiator: id.initiator, bidirectional: id.isBidirectional)
            let sendLimit = id.isBidirectional ? peerInitialMaxStreamData.bidiLocal : 0
            streams[newID] = StreamState(id: newID, sends: id.isBidirectional, receives: true, sendLimit: sendLimit,
                                         receiveWindow: configuration.initialMaxStreamData,
                                         maxReceiveWindow: configuration.maxStreamWindow)
            acceptQueue.append(newID)
            events.append(.streamOpened(newID))
        }
        if id.isBidirectional { remoteOpened.bidirectional = id.index + 1 } else { remoteOpened.unidirectional = id.index + 1 }
        return id
    }

    /// Moves a stream out of the table so it can be mutated without copying its buffers (a value still
    /// referenced from the dictionary would be copied on write); `putBack` returns it.
    @inline(__always)
    private mutating func takeStream(_ id: StreamID) -> StreamState? {
        streams.removeValue(forKey: id)
    }

    @inline(__always)
    private mutating func putBack(_ stream: StreamState) {
        streams[stream.id] = stream
    }

    // MARK: - Receiving frames

    /// A STREAM frame (RFC 9000 §19.8).
    mutating func onStreamFrame(_ frame: StreamFrame) throws(QUICWireError) {
        guard let id = try streamForFrame(frame.streamID, frameType: 0x08, receiving: true),
              var stream = takeStream(id) else { return }
        defer { putBack(stream) }
        guard stream.receive != nil, stream.resetReceived == nil else { return }
        let (end, overflow) = frame.offset.addingReportingOverflow(UInt64(frame.data.count))
        guard !overflow, end <= VarInt.max else {
            throw QUICWireError(.frameEncodingError, frameType: 0x08, "stream offset overflow")
        }
        guard stream.receiveWindow.check(highestOffset: end) else {
            throw QUICWireError(.flowControlError, frameType: 0x08, "stream data beyond MAX_STREAM_DATA")
        }
        let highest = stream.receive!.highestReceivedOffset
        let newBytes = end > highest ? end - highest : 0
        guard connectionWindow.check(highestOffset: connectionBytesReceived + newBytes) else {
            throw QUICWireError(.flowControlError, frameType: 0x08, "stream data beyond MAX_DATA")
        }
        do {
            try stream.receive!.insert(offset: frame.offset, bytes: frame.data, fin: frame.fin)
        } catch {
            throw QUICWireError(.finalSizeError, frameType: 0x08, "inconsistent final size (\(error))")
        }
        connectionBytesReceived += newBytes
        if stream.receive!.readableBytes > 0 || stream.receive!.isFinished { reportReadable(id) }
    }

    /// RESET_STREAM (RFC 9000 §19.4): the peer abandons its send side.
    mutating func onResetStream(streamID: UInt64, errorCode: UInt64, finalSize: UInt64, now: NIODeadline,
                                smoothedRTT: TimeAmount) throws(QUICWireError) {
        guard let id = try streamForFrame(streamID, frameType: 0x04, receiving: true),
              var stream = streams[id], let receive = stream.receive else { return }
        guard stream.resetReceived == nil else { return }
        if let known = receive.finalSize, known != finalSize {
            throw QUICWireError(.finalSizeError, frameType: 0x04, "RESET_STREAM changes the final size")
        }
        guard finalSize >= receive.highestReceivedOffset else {
            throw QUICWireError(.finalSizeError, frameType: 0x04, "RESET_STREAM final size below received data")
        }
        guard stream.receiveWindow.check(highestOffset: finalSize) else {
            throw QUICWireError(.flowControlError, frameType: 0x04, "final size beyond MAX_STREAM_DATA")
        }
        // §4.5: the final size counts against connection flow control; unread data is released to it.
        let newBytes = finalSize - receive.highestReceivedOffset
        connectionBytesReceived += newBytes
        let released = finalSize - receive.readOffset
        connectionBytesConsumed += released
        stream.receive = ReceiveStreamBuffer()
        stream.resetReceived = errorCode
        stream.receiveFinishedReported = true
        streams[id] = stream
        events.append(.streamReset(id, errorCode: errorCode))
        updateConnectionWindowAfterConsumption(now: now, smoothedRTT: smoothedRTT)
        removeIfDone(id)
    }

    /// STOP_SENDING (RFC 9000 §19.5): answer with RESET_STREAM carrying the same code (§3.5).
    mutating func onStopSending(streamID: UInt64, errorCode: UInt64) throws(QUICWireError) {
        guard let id = try streamForFrame(streamID, frameType: 0x05, receiving: false),
              let stream = streams[id], stream.send != nil else { return }
        if stream.resetToSend == nil {
            events.append(.streamStopped(id, errorCode: errorCode))
            streams[id]!.stopSendingReceived = errorCode
            reset(id, errorCode: errorCode)
        }
    }

    /// MAX_STREAM_DATA (RFC 9000 §19.10).
    mutating func onMaxStreamData(streamID: UInt64, maximum: UInt64) throws(QUICWireError) {
        guard let id = try streamForFrame(streamID, frameType: 0x11, receiving: false),
              streams[id]?.send != nil else { return }
        if streams[id]!.sendCredit.raise(to: maximum) { schedule(id) }
    }

    /// MAX_DATA (RFC 9000 §19.9).
    mutating func onMaxData(_ maximum: UInt64) {
        if connectionCredit.raise(to: maximum) {
            for id in streams.keys where streams[id]?.hasPendingFrames ?? false { schedule(id) }
        }
    }

    /// MAX_STREAMS (RFC 9000 §19.11).
    mutating func onMaxStreams(bidirectional: Bool, maximum: UInt64) {
        if bidirectional { localLimit.bidirectional = max(localLimit.bidirectional, maximum) }
        else { localLimit.unidirectional = max(localLimit.unidirectional, maximum) }
    }

    /// STREAM_DATA_BLOCKED (RFC 9000 §19.13): validates the stream; our window updates follow consumption.
    mutating func onStreamDataBlocked(streamID: UInt64) throws(QUICWireError) {
        _ = try streamForFrame(streamID, frameType: 0x15, receiving: true)
    }

    // MARK: - Application operations

    func contains(_ id: StreamID) -> Bool { streams[id] != nil }

    /// Queues bytes on a stream; returns how many were accepted (bounded by the send buffer limit).
    mutating func write(_ id: StreamID, _ bytes: [UInt8], fin: Bool) throws(QUICStreamError) -> Int {
        guard var stream = takeStream(id) else { throw .unknownStream }
        defer { putBack(stream) }
        guard stream.send != nil else { throw .notWritable }
        if let code = stream.stopSendingReceived { throw .stopped(errorCode: code) }
        guard stream.resetToSend == nil, !stream.send!.isFinished else { throw .finished }
        let room = max(0, configuration.sendBufferLimit - stream.send!.bufferedBytes)
        let accepted = min(room, bytes.count)
        if accepted == bytes.count {
            stream.send!.write(bytes)
            if fin { stream.send!.finish() }
        } else {
            stream.send!.write(contentsOf: bytes[..<accepted])
            stream.wantsWritable = true
        }
        schedule(id)
        return accepted
    }

    /// Ends the send side cleanly (FIN).
    mutating func finish(_ id: StreamID) throws(QUICStreamError) {
        guard streams[id] != nil else { throw .unknownStream }
        guard streams[id]?.send != nil else { throw .notWritable }
        if let code = streams[id]?.stopSendingReceived { throw .stopped(errorCode: code) }
        guard streams[id]?.resetToSend == nil else { throw .finished }
        streams[id]!.send!.finish()
        schedule(id)
    }

    /// Reads up to `maxBytes` in-order bytes; `fin` is true once everything up to the FIN was read.
    mutating func read(_ id: StreamID, maxBytes: Int, now: NIODeadline, smoothedRTT: TimeAmount) throws(QUICStreamError) -> (bytes: [UInt8], fin: Bool) {
        guard var stream = takeStream(id) else { throw .unknownStream }
        if let code = stream.resetReceived { putBack(stream); throw .reset(errorCode: code) }
        guard stream.receive != nil else { putBack(stream); throw .notReadable }
        let bytes = stream.receive!.read(maxBytes: maxBytes)
        let fin = stream.receive!.isFinished
        readableReported.remove(id)
        if !bytes.isEmpty {
            connectionBytesConsumed += UInt64(bytes.count)
            if stream.receiveWindow.onConsumed(upTo: stream.receive!.readOffset, now: now, smoothedRTT: smoothedRTT) != nil,
               stream.receive!.finalSize == nil {
                stream.maxStreamDataPending = true
            }
        }
        if fin { stream.receiveFinishedReported = true }
        let needsWindowUpdate = stream.maxStreamDataPending
        putBack(stream)
        if needsWindowUpdate { schedule(id) }
        updateConnectionWindowAfterConsumption(now: now, smoothedRTT: smoothedRTT)
        if fin { removeIfDone(id) }
        return (bytes, fin)
    }

    /// Abandons the send side with RESET_STREAM (RFC 9000 §19.4).
    mutating func reset(_ id: StreamID, errorCode: UInt64) {
        guard streams[id]?.resetToSend == nil, let sentUpTo = streams[id]?.send?.highestSentOffset,
              streams[id]?.send?.isFullyAcknowledged == false else { return }
        streams[id]!.resetToSend = (errorCode, sentUpTo)
        streams[id]!.resetPending = true
        streams[id]!.send!.reset()
        schedule(id)
    }

    /// Asks the peer to stop sending with STOP_SENDING (RFC 9000 §19.5) and discards what arrives.
    mutating func stopSending(_ id: StreamID, errorCode: UInt64) {
        guard var stream = streams[id], stream.receive != nil, stream.resetReceived == nil,
              stream.stopSendingCode == nil, !stream.receiveFinishedReported else { return }
        stream.stopSendingCode = errorCode
        stream.stopSendingPending = true
        streams[id] = stream
        schedule(id)
    }

    // MARK: - Connection flow control

    private mutating func updateConnectionWindowAfterConsumption(now: NIODeadline, smoothedRTT: TimeAmount) {
        if connectionWindow.onConsumed(upTo: connectionBytesConsumed, now: now, smoothedRTT: smoothedRTT) != nil {
            maxDataPending = true
        }
    }

    private mutating func reportReadable(_ id: StreamID) {
        if readableReported.insert(id).inserted { events.append(.streamReadable(id)) }
    }

    // MARK: - Scheduling

    mutating func schedule(_ id: StreamID) {
        if scheduled.insert(id).inserted { sendOrder.append(id) }
    }

    /// Whether anything stream-related waits to be sent (and could be sent now).
    var hasPendingFrames: Bool {
        maxDataPending || dataBlockedPending || maxStreamsPending.bidirectional || maxStreamsPending.unidirectional
            || hasBlockedStreamsFrame || !sendOrder.isEmpty
    }

    /// The next connection-level control frame to send, if any and if it fits in `room` bytes.
    mutating func nextConnectionControlFrame(room: Int) -> (Frame, RetransmittableFrame)? {
        if maxDataPending {
            let frame = Frame.maxData(connectionWindow.limit)
            if frame.wireLength <= room { maxDataPending = false; return (frame, .maxData) }
        }
        if maxStreamsPending.bidirectional {
            let frame = Frame.maxStreams(bidirectional: true, maximum: remoteLimit.bidirectional)
            if frame.wireLength <= room { maxStreamsPending.bidirectional = false; return (frame, .maxStreams(bidirectional: true)) }
        }
        if maxStreamsPending.unidirectional {
            let frame = Frame.maxStreams(bidirectional: false, maximum: remoteLimit.unidirectional)
            if frame.wireLength <= room { maxStreamsPending.unidirectional = false; return (frame, .maxStreams(bidirectional: false)) }
        }
        if dataBlockedPending {
            let frame = Frame.dataBlocked(limit: connectionCredit.limit)
            if frame.wireLength <= room { dataBlockedPending = false; return (frame, .dataBlocked) }
        }
        if streamsBlockedPending.bidirectional {
            let frame = Frame.streamsBlocked(bidirectional: true, limit: localLimit.bidirectional)
            if frame.wireLength <= room { streamsBlockedPending.bidirectional = false; return (frame, .streamsBlocked(bidirectional: true)) }
        }
        if streamsBlockedPending.unidirectional {
            let frame = Frame.streamsBlocked(bidirectional: false, limit: localLimit.unidirectional)
            if frame.wireLength <= room { streamsBlockedPending.unidirectional = false; return (frame, .streamsBlocked(bidirectional: false)) }
        }
        return nil
    }

    /// The next stream frame (control or data) that fits in `room` bytes, served round-robin.
    mutating func nextStreamFrame(room: Int) -> (Frame, RetransmittableFrame)? {
        // Below this a data frame is not worth its overhead; every control frame fits in it.
        guard room >= 32 else { return nil }
        var attempts = sendOrder.count
        while attempts > 0, let id = sendOrder.popFirst() {
            attempts -= 1
            guard var stream = takeStream(id) else { scheduled.remove(id); continue }
            let result = nextFrame(of: &stream, room: room)
            putBack(stream)
            if result != nil && stream.hasPendingFrames {
                sendOrder.append(id)        // round-robin: one frame per stream per turn
            } else {
                // Done, or blocked by flow control: MAX_DATA / MAX_STREAM_DATA schedule it again.
                scheduled.remove(id)
            }
            if let result { return result }
        }
        return nil
    }

    private mutating func nextFrame(of stream: inout StreamState, room: Int) -> (Frame, RetransmittableFrame)? {
        let id = stream.id
        if stream.stopSendingPending, let code = stream.stopSendingCode {
            let frame = Frame.stopSending(streamID: id.rawValue, errorCode: code)
            if frame.wireLength <= room { stream.stopSendingPending = false; return (frame, .stopSending(id)) }
            return nil
        }
        if stream.resetPending, let reset = stream.resetToSend {
            let frame = Frame.resetStream(streamID: id.rawValue, errorCode: reset.code, finalSize: reset.finalSize)
            if frame.wireLength <= room { stream.resetPending = false; return (frame, .resetStream(id)) }
            return nil
        }
        if stream.maxStreamDataPending {
            let frame = Frame.maxStreamData(streamID: id.rawValue, maximum: stream.receiveWindow.limit)
            if frame.wireLength <= room { stream.maxStreamDataPending = false; return (frame, .maxStreamData(id)) }
            return nil
        }
        if stream.dataBlockedPending {
            let frame = Frame.streamDataBlocked(streamID: id.rawValue, limit: stream.sendCredit.limit)
            if frame.wireLength <= room { stream.dataBlockedPending = false; return (frame, .streamDataBlocked(id)) }
            return nil
        }
        guard stream.resetToSend == nil, stream.send?.hasDataToSend == true else { return nil }
        // New data may not exceed the stream's or the connection's credit (RFC 9000 §4.1).
        let connectionAvailable = connectionCredit.available(sent: connectionBytesSent)
        let before = stream.send!.highestSentOffset
        let limit = min(stream.sendCredit.limit, before + connectionAvailable)
        let overhead = StreamFrame.overhead(streamID: id.rawValue, offset: before, dataLength: room)
        guard room > overhead else { return nil }
        // Mutated in place through the optional: a copy would duplicate the whole send buffer.
        guard let chunk = stream.send!.nextChunk(maxBytes: room - overhead, flowControlLimit: limit) else {
            // Blocked: tell the peer once per limit (RFC 9000 §4.1: DATA_BLOCKED / STREAM_DATA_BLOCKED).
            if connectionAvailable == 0, connectionCredit.blockedReportedAt != connectionCredit.limit {
                connectionCredit.blockedReportedAt = connectionCredit.limit
                dataBlockedPending = true
            }
            if limit == stream.sendCredit.limit, stream.sendCredit.blockedReportedAt != limit {
                stream.sendCredit.blockedReportedAt = limit
                let frame = Frame.streamDataBlocked(streamID: id.rawValue, limit: limit)
                return (frame, .streamDataBlocked(id))
            }
            return nil
        }
        connectionBytesSent += stream.send!.highestSentOffset - before
        let frame = StreamFrame(streamID: id.rawValue, offset: chunk.offset, data: chunk.bytes, fin: chunk.fin)
        return (.stream(frame), .stream(id: id, offset: chunk.offset, length: chunk.bytes.count, fin: chunk.fin))
    }

    // MARK: - Fate of sent frames

    mutating func onAcked(_ frame: RetransmittableFrame) {
        switch frame {
        case .stream(let id, let offset, let length, let fin):
            guard var stream = takeStream(id) else { return }
            guard stream.send != nil else { putBack(stream); return }
            stream.send!.onAcked(offset: offset, length: length, fin: fin)
            if stream.wantsWritable, stream.send!.bufferedBytes < configuration.sendBufferLimit {
                stream.wantsWritable = false
                events.append(.streamWritable(id))
            }
            putBack(stream)
            removeIfDone(id)
        case .resetStream(let id):
            guard streams[id] != nil else { return }
            streams[id]!.resetAcknowledged = true
            removeIfDone(id)
        default:
            break
        }
    }

    mutating func onLost(_ frame: RetransmittableFrame) {
        switch frame {
        case .stream(let id, let offset, let length, let fin):
            guard streams[id]?.send != nil, streams[id]?.resetToSend == nil else { return }
            streams[id]!.send!.onLost(offset: offset, length: length, fin: fin)
            schedule(id)
        case .resetStream(let id):
            update(id) { $0.resetPending = !$0.resetAcknowledged }
        case .stopSending(let id):
            update(id) { $0.stopSendingPending = !$0.receiveFinishedReported }
        case .maxStreamData(let id):
            update(id) { $0.maxStreamDataPending = $0.receive?.finalSize == nil }
        case .streamDataBlocked(let id):
            update(id) { $0.dataBlockedPending = $0.sendCredit.blockedReportedAt == $0.sendCredit.limit }
        case .maxData:
            maxDataPending = true
        case .maxStreams(let bidirectional):
            if bidirectional { maxStreamsPending.bidirectional = true } else { maxStreamsPending.unidirectional = true }
        case .dataBlocked:
            dataBlockedPending = connectionCredit.blockedReportedAt == connectionCredit.limit
        case .streamsBlocked(let bidirectional):
            if bidirectional { streamsBlockedPending.bidirectional = true } else { streamsBlockedPending.unidirectional = true }
        default:
            break
        }
    }

    private mutating func update(_ id: StreamID, _ change: (inout StreamState) -> Void) {
        guard streams[id] != nil else { return }
        change(&streams[id]!)
        if streams[id]!.hasPendingFrames { schedule(id) }
    }

    /// Forgets a stream once both halves are done, and gives the peer a new stream credit for it.
    private mutating func removeIfDone(_ id: StreamID) {
        guard let stream = streams[id], stream.isSendDone, stream.isReceiveDone else { return }
        streams[id] = nil
        readableReported.remove(id)
        guard id.initiator != role else { return }
        // RFC 9000 §4.6: keep the peer's stream credit constant by raising MAX_STREAMS as streams close.
        if id.isBidirectional {
            remoteClosed.bidirectional += 1
            remoteLimit.bidirectional = remoteClosed.bidirectional + configuration.maxStreamsBidi
            maxStreamsPending.bidirectional = true
        } else {
            remoteClosed.unidirectional += 1
            remoteLimit.unidirectional = remoteClosed.unidirectional + configuration.maxStreamsUni
            maxStreamsPending.unidirectional = true
        }
    }
}

/// Errors of the stream API.
public enum QUICStreamError: Error, Sendable, Hashable {
    /// No such stream (never opened, or finished and forgotten).
    case unknownStream
    /// The stream has no send side for us (a peer's unidirectional stream).
    case notWritable
    /// The stream has no receive side for us (our unidirectional stream).
    case notReadable
    /// The send side was finished or reset already.
    case finished
    /// The peer reset the stream with this code.
    case reset(errorCode: UInt64)
    /// The peer asked us to stop sending (STOP_SENDING) with this code; our side was reset.
    case stopped(errorCode: UInt64)
    /// The peer's stream limit is reached; wait for MAX_STREAMS.
    case streamLimitReached
    /// The connection is not established (or closed).
    case notConnected
}
