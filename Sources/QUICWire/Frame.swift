// MARK: - Frame

/// A QUIC frame (RFC 9000 §19) or DATAGRAM frame (RFC 9221 §4).
///
/// Parsing is in `Frame+Parse.swift`, encoding in `Frame+Encode.swift`, per-packet-type legality in
/// `FrameLegality.swift`. Variants with more than two fields carry a struct of their own.
public enum Frame: Hashable, Sendable {
    /// PADDING: a run of consecutive 0x00 bytes is one frame of `count` bytes.
    case padding(count: Int)
    /// PING.
    case ping
    /// ACK (type 0x02, or 0x03 when ECN counts are present).
    case ack(AckFrame)
    /// RESET_STREAM.
    case resetStream(streamID: UInt64, errorCode: UInt64, finalSize: UInt64)
    /// STOP_SENDING.
    case stopSending(streamID: UInt64, errorCode: UInt64)
    /// CRYPTO: handshake data at `offset` of this packet number space's crypto stream.
    case crypto(offset: UInt64, data: [UInt8])
    /// NEW_TOKEN: never empty.
    case newToken(token: [UInt8])
    /// STREAM.
    case stream(StreamFrame)
    /// MAX_DATA.
    case maxData(UInt64)
    /// MAX_STREAM_DATA.
    case maxStreamData(streamID: UInt64, maximum: UInt64)
    /// MAX_STREAMS: at most 2^60.
    case maxStreams(bidirectional: Bool, maximum: UInt64)
    /// DATA_BLOCKED.
    case dataBlocked(limit: UInt64)
    /// STREAM_DATA_BLOCKED.
    case streamDataBlocked(streamID: UInt64, limit: UInt64)
    /// STREAMS_BLOCKED: at most 2^60.
    case streamsBlocked(bidirectional: Bool, limit: UInt64)
    /// NEW_CONNECTION_ID.
    case newConnectionID(NewConnectionIDFrame)
    /// RETIRE_CONNECTION_ID.
    case retireConnectionID(sequence: UInt64)
    /// PATH_CHALLENGE: the 8 data bytes, big-endian.
    case pathChallenge(data: UInt64)
    /// PATH_RESPONSE: the 8 data bytes, big-endian.
    case pathResponse(data: UInt64)
    /// CONNECTION_CLOSE (0x1c transport, 0x1d application).
    case connectionClose(ConnectionCloseFrame)
    /// HANDSHAKE_DONE.
    case handshakeDone
    /// DATAGRAM (RFC 9221).
    case datagram(data: [UInt8])
    /// ADD_ADDRESS (draft-seemann-quic-nat-traversal-02 §4.6.1), server to client.
    case addAddress(AddAddressFrame)
    /// PUNCH_ME_NOW (draft-seemann-quic-nat-traversal-02 §4.6.2), client to server.
    case punchMeNow(PunchMeNowFrame)
    /// REMOVE_ADDRESS (draft-seemann-quic-nat-traversal-02 §4.6.3), server to client.
    case removeAddress(sequence: UInt64)
    /// OBSERVED_ADDRESS (draft-ietf-quic-address-discovery §4).
    case observedAddress(ObservedAddressFrame)
}

// MARK: - Classification

extension Frame {
    /// The type this frame is encoded with: STREAM carries LEN always and OFF only when the offset is
    /// nonzero; ACK is 0x03 only with ECN counts; DATAGRAM is always 0x31.
    public var frameType: UInt64 {
        switch self {
        case .padding: return FrameType.padding
        case .ping: return FrameType.ping
        case .ack(let ack): return ack.ecnCounts == nil ? FrameType.ack : FrameType.ackECN
        case .resetStream: return FrameType.resetStream
        case .stopSending: return FrameType.stopSending
        case .crypto: return FrameType.crypto
        case .newToken: return FrameType.newToken
        case .stream(let stream): return stream.encodedFrameType
        case .maxData: return FrameType.maxData
        case .maxStreamData: return FrameType.maxStreamData
        case .maxStreams(let bidirectional, _): return bidirectional ? FrameType.maxStreamsBidi : FrameType.maxStreamsUni
        case .dataBlocked: return FrameType.dataBlocked
        case .streamDataBlocked: return FrameType.streamDataBlocked
        case .streamsBlocked(let bidirectional, _):
            return bidirectional ? FrameType.streamsBlockedBidi : FrameType.streamsBlockedUni
        case .newConnectionID: return FrameType.newConnectionID
        case .retireConnectionID: return FrameType.retireConnectionID
        case .pathChallenge: return FrameType.pathChallenge
        case .pathResponse: return FrameType.pathResponse
        case .connectionClose(let close):
            return close.isApplicationError ? FrameType.connectionCloseApplication : FrameType.connectionCloseTransport
        case .handshakeDone: return FrameType.handshakeDone
        case .datagram: return FrameType.datagramWithLength
        case .addAddress(let frame):
            return frame.address.isIPv6 ? FrameType.addAddressIPv6 : FrameType.addAddressIPv4
        case .punchMeNow(let frame):
            return frame.address.isIPv6 ? FrameType.punchMeNowIPv6 : FrameType.punchMeNowIPv4
        case .removeAddress: return FrameType.removeAddress
        case .observedAddress(let frame):
            return frame.address.isIPv6 ? FrameType.observedAddressIPv6 : FrameType.observedAddressIPv4
        }
    }

    /// RFC 9002 §2: every frame but ACK, PADDING and CONNECTION_CLOSE elicits an acknowledgement.
    public var isAckEliciting: Bool {
        switch self {
        case .ack, .padding, .connectionClose: return false
        default: return true
        }
    }

    /// RFC 9000 §9.1: PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID and PADDING are probing frames;
    /// draft-ietf-quic-address-discovery §4 adds OBSERVED_ADDRESS.
    public var isProbing: Bool {
        switch self {
        case .pathChallenge, .pathResponse, .newConnectionID, .padding, .observedAddress: return true
        default: return false
        }
    }

    /// RFC 9002 §2: a packet is in flight if it carries an ack-eliciting frame or PADDING.
    public var countsInFlight: Bool {
        if case .padding = self { return true }
        return isAckEliciting
    }
}
