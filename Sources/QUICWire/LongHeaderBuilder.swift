// MARK: - PacketHeaderBuilder

/// Writes packet headers (RFC 9000 §17). Inputs are our own values, so invalid ones (a connection ID
/// over 20 bytes is impossible by type; a packet number length outside 1...4, a Length over 16383)
/// are programming errors and trap.
public enum PacketHeaderBuilder {
    /// The size of the Length field we write: always a 2-byte varint, so the header can be written
    /// before the payload is final and long packets stay below 16 KiB (RFC 9000 §17.2).
    public static let lengthFieldSize = 2

    /// Appends a long header (RFC 9000 §17.2) for Initial/0-RTT/Handshake with a 2-byte Length field
    /// covering `packetNumberLength + payloadLength` (payload includes the AEAD tag), then the truncated
    /// packet number. Returns the absolute offset of the packet number in `buffer`.
    public static func appendLongHeader(type: LongPacketType, version: UInt32, destination: ConnectionID,
                                        source: ConnectionID, token: [UInt8], packetNumber: UInt64,
                                        packetNumberLength: Int, payloadLength: Int,
                                        into buffer: inout [UInt8]) -> Int {
        precondition(type != .retry, "Retry packets are built with retryWithoutTag")
        precondition(packetNumberLength >= 1 && packetNumberLength <= 4, "packet number length must be 1...4")
        precondition(payloadLength >= 0, "negative payload length")
        // RFC 9000 §17.2: reserved bits (0x0c) are zero; the low two bits are the PN length minus one.
        buffer.append(PacketHeader.longFormBit | PacketHeader.fixedBit | type.rawValue << 4
                      | UInt8(packetNumberLength - 1))
        buffer.appendUInt32(version)
        appendConnectionID(destination, into: &buffer)
        appendConnectionID(source, into: &buffer)
        if type == .initial {
            // RFC 9000 §17.2.2: only Initial packets carry a token.
            buffer.appendVarInt(UInt64(token.count))
            buffer.append(contentsOf: token)
        }
        buffer.appendVarInt(UInt64(packetNumberLength + payloadLength), length: lengthFieldSize)
        let packetNumberOffset = buffer.count
        buffer.appendBigEndian(packetNumber, byteCount: packetNumberLength)
        return packetNumberOffset
    }

    /// Appends a short header (RFC 9000 §17.3.1) with spin bit 0 and the key phase bit, then the
    /// truncated packet number. Returns the absolute offset of the packet number in `buffer`.
    public static func appendShortHeader(destination: ConnectionID, keyPhase: Bool, packetNumber: UInt64,
                                         packetNumberLength: Int, into buffer: inout [UInt8]) -> Int {
        precondition(packetNumberLength >= 1 && packetNumberLength <= 4, "packet number length must be 1...4")
        buffer.append(PacketHeader.fixedBit | (keyPhase ? PacketHeader.keyPhaseBit : 0) | UInt8(packetNumberLength - 1))
        buffer.append(contentsOf: destination.bytes)
        let packetNumberOffset = buffer.count
        buffer.appendBigEndian(packetNumber, byteCount: packetNumberLength)
        return packetNumberOffset
    }

    /// A Version Negotiation packet (RFC 9000 §17.2.1). The IDs are those of the client's packet,
    /// swapped by the caller (our destination is the client's source). The unused first-byte bits are
    /// taken from `randomFirstByte`.
    public static func versionNegotiation(destination: ConnectionID, source: ConnectionID, versions: [UInt32],
                                          randomFirstByte: UInt8) -> [UInt8] {
        var packet: [UInt8] = []
        packet.reserveCapacity(7 + destination.count + source.count + 4 * versions.count)
        packet.append(PacketHeader.longFormBit | (randomFirstByte & ~PacketHeader.longFormBit))
        packet.appendUInt32(QUICVersion.negotiation)
        appendConnectionID(destination, into: &packet)
        appendConnectionID(source, into: &packet)
        for version in versions {
            packet.appendUInt32(version)
        }
        return packet
    }

    /// A Retry packet (RFC 9000 §17.2.5) without its 16-byte integrity tag, which the crypto layer
    /// computes over the pseudo-packet (RFC 9001 §5.8) and appends. The low four first-byte bits are
    /// unused and taken from `randomBits`.
    public static func retryWithoutTag(version: UInt32, destination: ConnectionID, source: ConnectionID,
                                       token: [UInt8], randomBits: UInt8) -> [UInt8] {
        var packet: [UInt8] = []
        packet.reserveCapacity(7 + destination.count + source.count + token.count + PacketHeader.retryIntegrityTagLength)
        packet.append(PacketHeader.longFormBit | PacketHeader.fixedBit | LongPacketType.retry.rawValue << 4
                      | (randomBits & 0x0f))
        packet.appendUInt32(version)
        appendConnectionID(destination, into: &packet)
        appendConnectionID(source, into: &packet)
        packet.append(contentsOf: token)
        return packet
    }

    // MARK: - Helpers

    private static func appendConnectionID(_ id: ConnectionID, into buffer: inout [UInt8]) {
        buffer.append(UInt8(id.count))
        buffer.append(contentsOf: id.bytes)
    }
}
