// MARK: - TransportParameterID

/// Transport parameter identifiers (RFC 9000 §18.2, RFC 9221 §3, the NAT traversal and address discovery
/// drafts). The one place these numbers live.
public struct TransportParameterID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The identifier as carried on the wire (a varint).
    public var rawValue: UInt64

    /// Wraps any identifier.
    @inlinable
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    // MARK: - Known identifiers

    /// original_destination_connection_id (server only).
    public static let originalDestinationConnectionID = TransportParameterID(rawValue: 0x00)
    /// max_idle_timeout, milliseconds.
    public static let maxIdleTimeout = TransportParameterID(rawValue: 0x01)
    /// stateless_reset_token (server only).
    public static let statelessResetToken = TransportParameterID(rawValue: 0x02)
    /// max_udp_payload_size.
    public static let maxUDPPayloadSize = TransportParameterID(rawValue: 0x03)
    /// initial_max_data.
    public static let initialMaxData = TransportParameterID(rawValue: 0x04)
    /// initial_max_stream_data_bidi_local.
    public static let initialMaxStreamDataBidiLocal = TransportParameterID(rawValue: 0x05)
    /// initial_max_stream_data_bidi_remote.
    public static let initialMaxStreamDataBidiRemote = TransportParameterID(rawValue: 0x06)
    /// initial_max_stream_data_uni.
    public static let initialMaxStreamDataUni = TransportParameterID(rawValue: 0x07)
    /// initial_max_streams_bidi.
    public static let initialMaxStreamsBidi = TransportParameterID(rawValue: 0x08)
    /// initial_max_streams_uni.
    public static let initialMaxStreamsUni = TransportParameterID(rawValue: 0x09)
    /// ack_delay_exponent.
    public static let ackDelayExponent = TransportParameterID(rawValue: 0x0a)
    /// max_ack_delay, milliseconds.
    public static let maxAckDelay = TransportParameterID(rawValue: 0x0b)
    /// disable_active_migration (zero-length).
    public static let disableActiveMigration = TransportParameterID(rawValue: 0x0c)
    /// preferred_address (server only).
    public static let preferredAddress = TransportParameterID(rawValue: 0x0d)
    /// active_connection_id_limit.
    public static let activeConnectionIDLimit = TransportParameterID(rawValue: 0x0e)
    /// initial_source_connection_id.
    public static let initialSourceConnectionID = TransportParameterID(rawValue: 0x0f)
    /// retry_source_connection_id (server only).
    public static let retrySourceConnectionID = TransportParameterID(rawValue: 0x10)
    /// max_datagram_frame_size (RFC 9221 §3).
    public static let maxDatagramFrameSize = TransportParameterID(rawValue: 0x20)

    /// nat_traversal (draft-seemann-quic-nat-traversal-02 §4.5).
    public static let natTraversal = TransportParameterID(rawValue: 0x3d7e_9f0b_ca12_fea6)
    /// address_discovery (draft-ietf-quic-address-discovery §3).
    public static let addressDiscovery = TransportParameterID(rawValue: 0x9f81_a176)

    /// Every identifier `TransportParameters` has a field for.
    public static let known: [TransportParameterID] = [
        .originalDestinationConnectionID, .maxIdleTimeout, .statelessResetToken, .maxUDPPayloadSize,
        .initialMaxData, .initialMaxStreamDataBidiLocal, .initialMaxStreamDataBidiRemote, .initialMaxStreamDataUni,
        .initialMaxStreamsBidi, .initialMaxStreamsUni, .ackDelayExponent, .maxAckDelay, .disableActiveMigration,
        .preferredAddress, .activeConnectionIDLimit, .initialSourceConnectionID, .retrySourceConnectionID,
        .maxDatagramFrameSize, .natTraversal, .addressDiscovery,
    ]

    // MARK: - Properties

    /// Whether `TransportParameters` has a field for this identifier.
    public var isKnown: Bool {
        rawValue <= 0x10 || self == .maxDatagramFrameSize || self == .natTraversal || self == .addressDiscovery
    }

    /// Reserved for greasing: 31 * N + 27 (RFC 9000 §18.1). Receivers ignore these.
    public var isReserved: Bool {
        rawValue >= 27 && (rawValue - 27) % 31 == 0
    }

    /// Parameters only a server may send (RFC 9000 §18.2): a client sending one is a
    /// TRANSPORT_PARAMETER_ERROR.
    public var isServerOnly: Bool {
        self == .originalDestinationConnectionID || self == .statelessResetToken || self == .preferredAddress
            || self == .retrySourceConnectionID
    }

    /// `0x1f`-style hex.
    public var description: String {
        hex(rawValue)
    }
}
