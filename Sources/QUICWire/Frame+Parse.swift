// MARK: - Parsing

extension Frame {
    /// Parses one frame at the reader's position (RFC 9000 §12.4, §19; RFC 9221 §4;
    /// draft-seemann-quic-nat-traversal-02 §4.6; draft-ietf-quic-address-discovery §4).
    ///
    /// Total: every failure throws a `QUICWireError` whose `frameType` is the frame being parsed.
    /// Truncation, unknown types and invalid field values are FRAME_ENCODING_ERROR; a frame type that
    /// is not minimally encoded is PROTOCOL_VIOLATION (RFC 9000 §12.4).
    public static func parse(from reader: inout ByteReader) throws(QUICWireError) -> Frame {
        let typeStart = reader.position
        let type = try reader.readVarInt()
        guard reader.position - typeStart == VarInt.encodedLength(of: type) else {
            throw QUICWireError(.protocolViolation, frameType: type, "frame type is not minimally encoded")
        }
        do {
            return try parseBody(type: type, from: &reader)
        } catch {
            var tagged = error
            tagged.frameType = type
            throw tagged
        }
    }

    /// Parses the fields after the type.
    private static func parseBody(type: UInt64, from reader: inout ByteReader) throws(QUICWireError) -> Frame {
        switch type {
        case FrameType.padding:
            // RFC 9000 §19.1: consecutive PADDING bytes are reported as one frame.
            return .padding(count: 1 + reader.skipZeros())
        case FrameType.ping:
            return .ping
        case FrameType.ack, FrameType.ackECN:
            return .ack(try AckFrame.parse(from: &reader, withECN: type == FrameType.ackECN))
        case FrameType.resetStream:
            return .resetStream(streamID: try reader.readVarInt(), errorCode: try reader.readVarInt(),
                                finalSize: try reader.readVarInt())
        case FrameType.stopSending:
            return .stopSending(streamID: try reader.readVarInt(), errorCode: try reader.readVarInt())
        case FrameType.crypto:
            let offset = try reader.readVarInt()
            let length = try reader.readVarInt()
            try checkEnd(offset: offset, length: length)
            return .crypto(offset: offset, data: try reader.readBytes(length))
        case FrameType.newToken:
            let length = try reader.readVarInt()
            // RFC 9000 §19.7: an empty token is a FRAME_ENCODING_ERROR.
            guard length > 0 else { throw QUICWireError(.frameEncodingError, "empty NEW_TOKEN") }
            return .newToken(token: try reader.readBytes(length))
        case FrameType.stream...FrameType.streamMax:
            return .stream(try parseStream(type: type, from: &reader))
        case FrameType.maxData:
            return .maxData(try reader.readVarInt())
        case FrameType.maxStreamData:
            return .maxStreamData(streamID: try reader.readVarInt(), maximum: try reader.readVarInt())
        case FrameType.maxStreamsBidi, FrameType.maxStreamsUni:
            return .maxStreams(bidirectional: type == FrameType.maxStreamsBidi, maximum: try readStreamCount(&reader))
        case FrameType.dataBlocked:
            return .dataBlocked(limit: try reader.readVarInt())
        case FrameType.streamDataBlocked:
            return .streamDataBlocked(streamID: try reader.readVarInt(), limit: try reader.readVarInt())
        case FrameType.streamsBlockedBidi, FrameType.streamsBlockedUni:
            return .streamsBlocked(bidirectional: type == FrameType.streamsBlockedBidi, limit: try readStreamCount(&reader))
        case FrameType.newConnectionID:
            return .newConnectionID(try parseNewConnectionID(from: &reader))
        case FrameType.retireConnectionID:
            return .retireConnectionID(sequence: try reader.readVarInt())
        case FrameType.pathChallenge:
            return .pathChallenge(data: try reader.readUInt64())
        case FrameType.pathResponse:
            return .pathResponse(data: try reader.readUInt64())
        case FrameType.connectionCloseTransport, FrameType.connectionCloseApplication:
            let isApplication = type == FrameType.connectionCloseApplication
            let errorCode = try reader.readVarInt()
            let triggeringType = try isApplication ? 0 : reader.readVarInt()
            let reasonLength = try reader.readVarInt()
            return .connectionClose(ConnectionCloseFrame(isApplicationError: isApplication, errorCode: errorCode,
                                                         frameType: triggeringType,
                                                         reason: try reader.readBytes(reasonLength)))
        case FrameType.handshakeDone:
            return .handshakeDone
        case FrameType.datagram:
            // RFC 9221 §4: without a Length field the datagram runs to the end of the packet.
            return .datagram(data: reader.readRemaining())
        case FrameType.datagramWithLength:
            let length = try reader.readVarInt()
            return .datagram(data: try reader.readBytes(length))
        case FrameType.addAddressIPv4, FrameType.addAddressIPv6:
            let sequence = try reader.readVarInt()
            return .addAddress(AddAddressFrame(sequence: sequence,
                                               address: try .parse(isIPv6: type & 1 == 1, from: &reader)))
        case FrameType.punchMeNowIPv4, FrameType.punchMeNowIPv6:
            let round = try reader.readVarInt()
            let pairedWith = try reader.readVarInt()
            return .punchMeNow(PunchMeNowFrame(round: round, pairedWith: pairedWith,
                                               address: try .parse(isIPv6: type & 1 == 1, from: &reader)))
        case FrameType.removeAddress:
            return .removeAddress(sequence: try reader.readVarInt())
        case FrameType.observedAddressIPv4, FrameType.observedAddressIPv6:
            let sequence = try reader.readVarInt()
            return .observedAddress(ObservedAddressFrame(sequence: sequence,
                                                         address: try .parse(isIPv6: type & 1 == 1, from: &reader)))
        default:
            throw QUICWireError(.frameEncodingError, "unknown frame type")
        }
    }

    // MARK: - Frame bodies

    /// RFC 9000 §19.8: OFF, LEN and FIN are the low three type bits.
    private static func parseStream(type: UInt64, from reader: inout ByteReader) throws(QUICWireError) -> StreamFrame {
        let streamID = try reader.readVarInt()
        let offset = try type & FrameType.streamOffsetBit != 0 ? reader.readVarInt() : 0
        let data: [UInt8]
        if type & FrameType.streamLengthBit != 0 {
            let length = try reader.readVarInt()
            try checkEnd(offset: offset, length: length)
            data = try reader.readBytes(length)
        } else {
            data = reader.readRemaining()
            try checkEnd(offset: offset, length: UInt64(data.count))
        }
        return StreamFrame(streamID: streamID, offset: offset, data: data, fin: type & FrameType.streamFinBit != 0)
    }

    /// RFC 9000 §19.15.
    private static func parseNewConnectionID(from reader: inout ByteReader) throws(QUICWireError) -> NewConnectionIDFrame {
        let sequence = try reader.readVarInt()
        let retirePriorTo = try reader.readVarInt()
        guard retirePriorTo <= sequence else {
            throw QUICWireError(.frameEncodingError, "Retire Prior To exceeds the sequence number")
        }
        let length = Int(try reader.readUInt8())
        guard length >= 1, length <= ConnectionID.maxLength else {
            throw QUICWireError(.frameEncodingError, "connection ID length \(length) outside 1...20")
        }
        let connectionID = ConnectionID(unchecked: try reader.readBytes(length))
        let token = StatelessResetToken(unchecked: try reader.readBytes(StatelessResetToken.length))
        return NewConnectionIDFrame(sequence: sequence, retirePriorTo: retirePriorTo, connectionID: connectionID,
                                    statelessResetToken: token)
    }

    // MARK: - Field checks

    /// RFC 9000 §19.6, §19.8: the end of the data may not exceed 2^62-1. Both operands are at most
    /// 2^62-1 (varints), so the sum cannot overflow 64 bits.
    private static func checkEnd(offset: UInt64, length: UInt64) throws(QUICWireError) {
        guard offset + length <= VarInt.max else {
            throw QUICWireError(.frameEncodingError, "offset + length exceeds 2^62-1")
        }
    }

    /// RFC 9000 §19.11, §19.14: stream counts above 2^60 are a FRAME_ENCODING_ERROR.
    private static func readStreamCount(_ reader: inout ByteReader) throws(QUICWireError) -> UInt64 {
        let count = try reader.readVarInt()
        guard count <= FrameType.maxStreamCount else {
            throw QUICWireError(.frameEncodingError, "stream count exceeds 2^60")
        }
        return count
    }
}
