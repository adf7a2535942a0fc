// MARK: - PacketHeader

/// What can be read of a packet before header protection is removed (RFC 9000 §17, RFC 8999).
///
/// Long header (RFC 9000 §17.2):
/// ```
/// +-+-+-+-+-+-+-+-+
/// |1|1|T T|X X X X|   form, fixed bit, type, type-specific (protected: reserved + PN length)
/// +-+-+-+-+-+-+-+-+
/// |  Version (32) | DCID Len (8) | DCID (0..160) | SCID Len (8) | SCID (0..160) |
/// | Initial: Token Length (i), Token | Length (i) | Packet Number (8..32) | Payload |
/// ```
/// Short header (RFC 9000 §17.3.1):
/// ```
/// |0|1|S|R R|K|P P| Destination Connection ID (0..160) | Packet Number (8..32) | Payload |
/// ```
/// Offsets are absolute indices into the datagram so the crypto layer can sample and unprotect in place.
public struct PacketHeader: Sendable {
    /// The kind of packet and its kind-specific header fields.
    public enum Form: Sendable, Equatable {
        /// Initial packet, with its (possibly empty) address validation token.
        case initial(token: [UInt8])
        /// 0-RTT packet.
        case zeroRTT
        /// Handshake packet.
        case handshake
        /// Retry packet: the token and the 16-byte Retry Integrity Tag (RFC 9001 §5.8).
        case retry(token: [UInt8], integrityTag: [UInt8])
        /// Version Negotiation packet with the versions the server supports.
        case versionNegotiation(supportedVersions: [UInt32])
        /// 1-RTT packet with a short header.
        case short
    }

    /// The kind of packet.
    public var form: Form
    /// The version field; 0 for short headers and Version Negotiation.
    public var version: UInt32
    /// The destination connection ID.
    public var destinationConnectionID: ConnectionID
    /// The source connection ID; `.empty` for short headers.
    public var sourceConnectionID: ConnectionID
    /// Absolute index of the first byte of this packet in the datagram.
    public var packetStart: Int
    /// Absolute index of the (protected) packet number; equals `packetEnd` for Retry and VN.
    public var packetNumberOffset: Int
    /// Absolute index one past this packet; a coalesced packet may start here (RFC 9000 §12.2).
    public var packetEnd: Int

    /// Creates a header from its parts (parsers use `parse`).
    public init(form: Form, version: UInt32, destinationConnectionID: ConnectionID,
                sourceConnectionID: ConnectionID, packetStart: Int, packetNumberOffset: Int, packetEnd: Int) {
        self.form = form
        self.version = version
        self.destinationConnectionID = destinationConnectionID
        self.sourceConnectionID = sourceConnectionID
        self.packetStart = packetStart
        self.packetNumberOffset = packetNumberOffset
        self.packetEnd = packetEnd
    }

    // MARK: - Derived properties

    /// The packet number space of a protected packet; nil for Retry and Version Negotiation.
    public var packetNumberSpace: PacketNumberSpace? {
        switch form {
        case .initial: return .initial
        case .handshake: return .handshake
        case .zeroRTT, .short: return .applicationData
        case .retry, .versionNegotiation: return nil
        }
    }

    /// The long packet type, or nil for short headers and Version Negotiation.
    public var longPacketType: LongPacketType? {
        switch form {
        case .initial: return .initial
        case .zeroRTT: return .zeroRTT
        case .handshake: return .handshake
        case .retry: return .retry
        case .versionNegotiation, .short: return nil
        }
    }

    /// Whether the packet has a long header (everything but `.short`).
    public var isLongHeader: Bool {
        if case .short = form { return false }
        return true
    }
}

// MARK: - First-byte constants

extension PacketHeader {
    /// Header Form bit: 1 for long headers (RFC 9000 §17.2).
    public static let longFormBit: UInt8 = 0x80
    /// Fixed Bit: 1 in every v1 packet except Version Negotiation (RFC 9000 §17.2, §17.3.1).
    public static let fixedBit: UInt8 = 0x40
    /// Long Packet Type bits (RFC 9000 §17.2).
    public static let longPacketTypeMask: UInt8 = 0x30
    /// Spin bit of a short header (RFC 9000 §17.3.1).
    public static let spinBit: UInt8 = 0x20
    /// Key Phase bit of a short header, protected (RFC 9000 §17.3.1).
    public static let keyPhaseBit: UInt8 = 0x04
    /// Packet Number Length bits (encoded length minus one), protected.
    public static let packetNumberLengthMask: UInt8 = 0x03
    /// First-byte bits covered by header protection in a long header (RFC 9001 §5.4.1).
    public static let longHeaderProtectedMask: UInt8 = 0x0f
    /// First-byte bits covered by header protection in a short header (RFC 9001 §5.4.1).
    public static let shortHeaderProtectedMask: UInt8 = 0x1f
    /// Length of the Retry Integrity Tag (RFC 9001 §5.8).
    public static let retryIntegrityTagLength = 16
}
