// MARK: - Encoding

extension Frame {
    /// Appends this frame (RFC 9000 §19). Frames are our own values: out-of-range fields (a varint above
    /// 2^62-1, a NEW_CONNECTION_ID with an empty ID, an empty ACK) are programming errors and trap.
    public func encode(into buffer: inout [UInt8]) {
        switch self {
        case .padding(let count):
            buffer.append(contentsOf: repeatElement(0, count: count))
        case .ping, .handshakeDone:
            buffer.appendVarInt(frameType)
        case .ack(let ack):
            ack.encode(into: &buffer)
        case .resetStream(let streamID, let errorCode, let finalSize):
            buffer.appendVarInt(FrameType.resetStream)
            buffer.appendVarInt(streamID)
            buffer.appendVarInt(errorCode)
            buffer.appendVarInt(finalSize)
        case .stopSending(let streamID, let errorCode):
            buffer.appendVarInt(FrameType.stopSending)
            buffer.appendVarInt(streamID)
            buffer.appendVarInt(errorCode)
        case .crypto(let offset, let data):
            buffer.appendVarInt(FrameType.crypto)
            buffer.appendVarInt(offset)
            buffer.appendVarInt(UInt64(data.count))
            buffer.append(contentsOf: data)
        case .newToken(let token):
            precondition(!token.isEmpty, "NEW_TOKEN must carry a token")
            buffer.appendVarInt(FrameType.newToken)
            buffer.appendVarInt(UInt64(token.count))
            buffer.append(contentsOf: token)
        case .stream(let stream):
            buffer.appendVarInt(stream.encodedFrameType)
            buffer.appendVarInt(stream.streamID)
            if stream.offset > 0 {
                buffer.appendVarInt(stream.offset)
            }
            buffer.appendVarInt(UInt64(stream.data.count))
            buffer.append(contentsOf: stream.data)
        case .maxData(let value), .dataBlocked(let value), .retireConnectionID(let value):
            buffer.appendVarInt(frameType)
            buffer.appendVarInt(value)
        case .maxStreams(_, let value), .streamsBlocked(_, let value):
            precondition(value <= FrameType.maxStreamCount, "stream count exceeds 2^60")
            buffer.appendVarInt(frameType)
            buffer.appendVarInt(value)
        case .maxStreamData(let streamID, let value), .streamDataBlocked(let streamID, let value):
            buffer.appendVarInt(frameType)
            buffer.appendVarInt(streamID)
            buffer.appendVarInt(value)
        case .newConnectionID(let frame):
            precondition(frame.connectionID.count >= 1, "NEW_CONNECTION_ID needs a non-empty connection ID")
            buffer.appendVarInt(FrameType.newConnectionID)
            buffer.appendVarInt(frame.sequence)
            buffer.appendVarInt(frame.retirePriorTo)
            buffer.append(UInt8(frame.connectionID.count))
            buffer.append(contentsOf: frame.connectionID.bytes)
            buffer.append(contentsOf: frame.statelessResetToken.bytes)
        case .pathChallenge(let data), .pathResponse(let data):
            buffer.appendVarInt(frameType)
            buffer.appendUInt64(data)
        case .connectionClose(let close):
            buffer.appendVarInt(frameType)
            buffer.appendVarInt(close.errorCode)
            if !close.isApplicationError {
                buffer.appendVarInt(close.frameType)
            }
            buffer.appendVarInt(UInt64(close.reason.count))
            buffer.append(contentsOf: close.reason)
        case .datagram(let data):
            buffer.appendVarInt(FrameType.datagramWithLength)
            buffer.appendVarInt(UInt64(data.count))
            buffer.append(contentsOf: data)
        case .addAddress(let frame):
            buffer.appendVarInt(frameType)
            buffer.appendVarInt(frame.sequence)
            frame.address.encode(into: &buffer)
        case .punchMeNow(let frame):
            buffer.appendVarInt(frameType)
            buffer.appendVarInt(frame.round)
            buffer.appendVarInt(frame.pairedWith)
            frame.address.encode(into: &buffer)
        case .removeAddress(let sequence):
            buffer.appendVarInt(frameType)
            buffer.appendVarInt(sequence)
        case .observedAddress(let frame):
            buffer.appendVarInt(frameType)
            buffer.appendVarInt(frame.sequence)
            frame.address.encode(into: &buffer)
        }
    }

    /// Exactly the number of bytes `encode(into:)` appends.
    public var wireLength: Int {
        switch self {
        case .padding(let count):
            return count
        case .ping, .handshakeDone:
            return 1
        case .ack(let ack):
            return ack.wireLength
        case .resetStream(let streamID, let errorCode, let finalSize):
            return 1 + varIntLength(streamID) + varIntLength(errorCode) + varIntLength(finalSize)
        case .stopSending(let streamID, let errorCode):
            return 1 + varIntLength(streamID) + varIntLength(errorCode)
        case .crypto(let offset, let data):
            return 1 + varIntLength(offset) + lengthPrefixed(data.count)
        case .newToken(let token):
            return 1 + lengthPrefixed(token.count)
        case .stream(let stream):
            return StreamFrame.overhead(streamID: stream.streamID, offset: stream.offset, dataLength: stream.data.count)
                + stream.data.count
        case .maxData(let value), .dataBlocked(let value), .retireConnectionID(let value),
             .maxStreams(_, let value), .streamsBlocked(_, let value):
            return 1 + varIntLength(value)
        case .maxStreamData(let streamID, let value), .streamDataBlocked(let streamID, let value):
            return 1 + varIntLength(streamID) + varIntLength(value)
        case .newConnectionID(let frame):
            return 1 + varIntLength(frame.sequence) + varIntLength(frame.retirePriorTo) + 1
                + frame.connectionID.count + StatelessResetToken.length
        case .pathChallenge, .pathResponse:
            return 1 + 8
        case .connectionClose(let close):
            return 1 + varIntLength(close.errorCode) + (close.isApplicationError ? 0 : varIntLength(close.frameType))
                + lengthPrefixed(close.reason.count)
        case .datagram(let data):
            return 1 + lengthPrefixed(data.count)
        case .addAddress(let frame):
            return varIntLength(frameType) + varIntLength(frame.sequence) + frame.address.wireLength
        case .punchMeNow(let frame):
            return varIntLength(frameType) + varIntLength(frame.round) + varIntLength(frame.pairedWith)
                + frame.address.wireLength
        case .removeAddress(let sequence):
            return varIntLength(frameType) + varIntLength(sequence)
        case .observedAddress(let frame):
            return varIntLength(frameType) + varIntLength(frame.sequence) + frame.address.wireLength
        }
    }
}

// MARK: - Helpers

private func varIntLength(_ value: UInt64) -> Int {
    VarInt.encodedLength(of: value)
}

/// A varint length prefix plus the bytes it counts.
private func lengthPrefixed(_ count: Int) -> Int {
    VarInt.encodedLength(of: UInt64(count)) + count
}
