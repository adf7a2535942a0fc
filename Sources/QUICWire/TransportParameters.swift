// MARK: - TransportParameters

/// QUIC transport parameters (RFC 9000 §18, RFC 9221 §3, and the NAT traversal and address discovery
/// drafts), exchanged in the TLS
/// `quic_transport_parameters` extension.
///
/// ```
/// Transport Parameters { Transport Parameter (..) ... }
/// Transport Parameter { Transport Parameter ID (i), Transport Parameter Length (i), Value (..) }
/// ```
/// Field defaults are the RFC 9000 §18.2 defaults that apply when a parameter is absent; encoding
/// omits fields equal to them (and nil optionals). Codec: `TransportParameters+Codec.swift`.
public struct TransportParameters: Hashable, Sendable {
    /// 0x00, server only: the DCID of the client's first Initial (RFC 9000 §7.3).
    public var originalDestinationConnectionID: ConnectionID?
    /// 0x01: idle timeout in milliseconds; 0 disables it.
    public var maxIdleTimeout: UInt64 = 0
    /// 0x02, server only: the stateless reset token of the handshake connection ID.
    public var statelessResetToken: StatelessResetToken?
    /// 0x03: the largest UDP payload the endpoint will receive; below 1200 is invalid.
    public var maxUDPPayloadSize: UInt64 = 65527
    /// 0x04: the initial connection-level flow control limit.
    public var initialMaxData: UInt64 = 0
    /// 0x05: initial stream limit for bidirectional streams opened by the sender of the parameter.
    public var initialMaxStreamDataBidiLocal: UInt64 = 0
    /// 0x06: initial stream limit for bidirectional streams opened by the receiver of the parameter.
    public var initialMaxStreamDataBidiRemote: UInt64 = 0
    /// 0x07: initial stream limit for unidirectional streams.
    public var initialMaxStreamDataUni: UInt64 = 0
    /// 0x08: initial bidirectional stream count; above 2^60 is invalid.
    public var initialMaxStreamsBidi: UInt64 = 0
    /// 0x09: initial unidirectional stream count; above 2^60 is invalid.
    public var initialMaxStreamsUni: UInt64 = 0
    /// 0x0a: exponent scaling the ACK Delay field; above 20 is invalid.
    public var ackDelayExponent: UInt64 = 3
    /// 0x0b: maximum ACK delay in milliseconds; 2^14 or more is invalid.
    public var maxAckDelay: UInt64 = 25
    /// 0x0c: the endpoint does not support active migration (a zero-length parameter).
    public var disableActiveMigration: Bool = false
    /// 0x0d, server only: the preferred address, kept raw (RFC 9000 §18.2, Figure 22; validated).
    public var preferredAddress: [UInt8]? = nil
    /// 0x0e: how many connection IDs the endpoint will store; below 2 is invalid.
    public var activeConnectionIDLimit: UInt64 = 2
    /// 0x0f: the SCID of the endpoint's first Initial (RFC 9000 §7.3).
    public var initialSourceConnectionID: ConnectionID?
    /// 0x10, server only: the SCID of the server's Retry packet.
    public var retrySourceConnectionID: ConnectionID?
    /// 0x20: the largest DATAGRAM frame accepted (RFC 9221 §3); nil means DATAGRAM is not supported.
    public var maxDatagramFrameSize: UInt64? = nil
    /// 0x3d7e9f0bca12fea6: NAT traversal support (draft-seemann-quic-nat-traversal-02 §4.5); nil when absent.
    public var natTraversal: NATTraversalParameter? = nil
    /// 0x9f81a176: address discovery (draft-ietf-quic-address-discovery §3); nil when absent.
    public var addressDiscovery: AddressDiscoveryMode? = nil
    /// Parameters we do not know, kept (and ignored) by decode and re-encoded by encode. Reserved
    /// (greasing) ids are dropped by decode; entries whose id is a known one are never encoded.
    public var unknown: [UInt64: [UInt8]] = [:]

    /// Parameters with every RFC 9000 §18.2 default.
    public init() {}

    /// The RFC defaults, which `encode` omits.
    public static let defaults = TransportParameters()

    // MARK: - Limits (RFC 9000 §18.2)

    /// The smallest valid max_udp_payload_size.
    public static let minimumMaxUDPPayloadSize: UInt64 = 1200
    /// The largest valid ack_delay_exponent.
    public static let maximumAckDelayExponent: UInt64 = 20
    /// max_ack_delay must be below this (2^14 ms).
    public static let maxAckDelayLimit: UInt64 = 1 << 14
    /// The smallest valid active_connection_id_limit.
    public static let minimumActiveConnectionIDLimit: UInt64 = 2
    /// The largest valid initial_max_streams_* (2^60).
    public static let maximumStreamCount: UInt64 = 1 << 60
    /// The smallest preferred_address value: IPv4 (4+2), IPv6 (16+2), CID length (1), reset token (16).
    public static let minimumPreferredAddressLength = 41
}
