// MARK: - LongPacketType

/// The Long Packet Type field of a QUIC v1 long header (RFC 9000 §17.2, Table 5): bits 0x30 of the
/// first byte.
public enum LongPacketType: UInt8, Sendable {
    /// Initial packet (RFC 9000 §17.2.2).
    case initial = 0
    /// 0-RTT packet (RFC 9000 §17.2.3).
    case zeroRTT = 1
    /// Handshake packet (RFC 9000 §17.2.4).
    case handshake = 2
    /// Retry packet (RFC 9000 §17.2.5).
    case retry = 3
}

// MARK: - QUICVersion

/// QUIC version numbers (RFC 9000 §15).
public enum QUICVersion {
    /// QUIC version 1 (RFC 9000).
    public static let v1: UInt32 = 0x0000_0001
    /// The version field of a Version Negotiation packet (RFC 9000 §17.2.1).
    public static let negotiation: UInt32 = 0x0000_0000
    /// The versions this implementation speaks, in preference order.
    public static let supported: [UInt32] = [v1]

    /// Whether `version` is reserved for exercising version negotiation (RFC 9000 §15: 0x?a?a?a?a).
    @inlinable
    public static func isReservedForNegotiation(_ version: UInt32) -> Bool {
        version & 0x0f0f_0f0f == 0x0a0a_0a0a
    }
}
