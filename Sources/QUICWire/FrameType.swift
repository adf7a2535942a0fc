// MARK: - FrameType

/// Frame type values (RFC 9000 §19, Table 3 in §12.4; RFC 9221 §4; the NAT traversal and address
/// discovery drafts). The one place these numbers live.
public enum FrameType {
    /// PADDING (RFC 9000 §19.1).
    public static let padding: UInt64 = 0x00
    /// PING (RFC 9000 §19.2).
    public static let ping: UInt64 = 0x01
    /// ACK without ECN counts (RFC 9000 §19.3).
    public static let ack: UInt64 = 0x02
    /// ACK with ECN counts (RFC 9000 §19.3).
    public static let ackECN: UInt64 = 0x03
    /// RESET_STREAM (RFC 9000 §19.4).
    public static let resetStream: UInt64 = 0x04
    /// STOP_SENDING (RFC 9000 §19.5).
    public static let stopSending: UInt64 = 0x05
    /// CRYPTO (RFC 9000 §19.6).
    public static let crypto: UInt64 = 0x06
    /// NEW_TOKEN (RFC 9000 §19.7).
    public static let newToken: UInt64 = 0x07
    /// STREAM, the base of 0x08...0x0f (RFC 9000 §19.8).
    public static let stream: UInt64 = 0x08
    /// The last STREAM type (all three flag bits set).
    public static let streamMax: UInt64 = 0x0f
    /// STREAM flag: an Offset field is present.
    public static let streamOffsetBit: UInt64 = 0x04
    /// STREAM flag: a Length field is present.
    public static let streamLengthBit: UInt64 = 0x02
    /// STREAM flag: this frame ends the stream.
    public static let streamFinBit: UInt64 = 0x01
    /// MAX_DATA (RFC 9000 §19.9).
    public static let maxData: UInt64 = 0x10
    /// MAX_STREAM_DATA (RFC 9000 §19.10).
    public static let maxStreamData: UInt64 = 0x11
    /// MAX_STREAMS for bidirectional streams (RFC 9000 §19.11).
    public static let maxStreamsBidi: UInt64 = 0x12
    /// MAX_STREAMS for unidirectional streams (RFC 9000 §19.11).
    public static let maxStreamsUni: UInt64 = 0x13
    /// DATA_BLOCKED (RFC 9000 §19.12).
    public static let dataBlocked: UInt64 = 0x14
    /// STREAM_DATA_BLOCKED (RFC 9000 §19.13).
    public static let streamDataBlocked: UInt64 = 0x15
    /// STREAMS_BLOCKED for bidirectional streams (RFC 9000 §19.14).
    public static let streamsBlockedBidi: UInt64 = 0x16
    /// STREAMS_BLOCKED for unidirectional streams (RFC 9000 §19.14).
    public static let streamsBlockedUni: UInt64 = 0x17
    /// NEW_CONNECTION_ID (RFC 9000 §19.15).
    public static let newConnectionID: UInt64 = 0x18
    /// RETIRE_CONNECTION_ID (RFC 9000 §19.16).
    public static let retireConnectionID: UInt64 = 0x19
    /// PATH_CHALLENGE (RFC 9000 §19.17).
    public static let pathChallenge: UInt64 = 0x1a
    /// PATH_RESPONSE (RFC 9000 §19.18).
    public static let pathResponse: UInt64 = 0x1b
    /// CONNECTION_CLOSE for transport errors (RFC 9000 §19.19).
    public static let connectionCloseTransport: UInt64 = 0x1c
    /// CONNECTION_CLOSE for application errors (RFC 9000 §19.19).
    public static let connectionCloseApplication: UInt64 = 0x1d
    /// HANDSHAKE_DONE (RFC 9000 §19.20).
    public static let handshakeDone: UInt64 = 0x1e
    /// DATAGRAM without a Length field (RFC 9221 §4).
    public static let datagram: UInt64 = 0x30
    /// DATAGRAM with a Length field (RFC 9221 §4).
    public static let datagramWithLength: UInt64 = 0x31

    /// ADD_ADDRESS with an IPv4 address (draft-seemann-quic-nat-traversal-02 §4.6.1).
    public static let addAddressIPv4: UInt64 = 0x3d7e90
    /// ADD_ADDRESS with an IPv6 address.
    public static let addAddressIPv6: UInt64 = 0x3d7e91
    /// PUNCH_ME_NOW with an IPv4 address (draft-seemann-quic-nat-traversal-02 §4.6.2).
    public static let punchMeNowIPv4: UInt64 = 0x3d7e92
    /// PUNCH_ME_NOW with an IPv6 address.
    public static let punchMeNowIPv6: UInt64 = 0x3d7e93
    /// REMOVE_ADDRESS (draft-seemann-quic-nat-traversal-02 §4.6.3).
    public static let removeAddress: UInt64 = 0x3d7e94
    /// OBSERVED_ADDRESS with an IPv4 address (draft-ietf-quic-address-discovery §4).
    public static let observedAddressIPv4: UInt64 = 0x9f81a6
    /// OBSERVED_ADDRESS with an IPv6 address.
    public static let observedAddressIPv6: UInt64 = 0x9f81a7

    /// The NAT traversal frame types (draft-seemann-quic-nat-traversal-02 §4.6), in order.
    public static let natTraversal: ClosedRange<UInt64> = addAddressIPv4...removeAddress

    /// Every frame type this implementation understands.
    public static let all: [UInt64] = Array(padding...handshakeDone) + [datagram, datagramWithLength]
        + Array(natTraversal) + [observedAddressIPv4, observedAddressIPv6]

    /// Whether `type` is one of `all`, without scanning the list.
    @inlinable
    public static func isKnown(_ type: UInt64) -> Bool {
        type <= handshakeDone || type == datagram || type == datagramWithLength || natTraversal.contains(type)
            || type == observedAddressIPv4 || type == observedAddressIPv6
    }

    /// The largest stream count MAX_STREAMS / STREAMS_BLOCKED may carry (RFC 9000 §19.11: 2^60).
    public static let maxStreamCount: UInt64 = 1 << 60
}
