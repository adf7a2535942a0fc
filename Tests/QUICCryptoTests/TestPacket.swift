// MARK: - TestPacket

/// Builds plaintext QUIC packets (header + packet number + payload) for round-trip tests.
struct TestPacket {
    var bytes: [UInt8]
    var pnOffset: Int
    var payload: [UInt8]

    static let connectionID: [UInt8] = [0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71]

    /// The truncated packet number as written on the wire (RFC 9000 §17.1).
    static func truncated(_ packetNumber: UInt64, length: Int) -> UInt64 {
        length >= 8 ? packetNumber : packetNumber & ((1 << UInt64(8 * length)) - 1)
    }

    /// A 1-RTT packet (RFC 9000 §17.3.1): 0x40 | key phase 0 | pn length - 1, DCID, packet number.
    static func short(packetNumberLength: Int, packetNumber: UInt64, payload: [UInt8]) -> TestPacket {
        var bytes: [UInt8] = [0x40 | UInt8(packetNumberLength - 1)]
        bytes += connectionID
        let pnOffset = bytes.count
        bytes += encode(truncated(packetNumber, length: packetNumberLength), length: packetNumberLength)
        bytes += payload
        return TestPacket(bytes: bytes, pnOffset: pnOffset, payload: payload)
    }

    /// A v1 Handshake packet (RFC 9000 §17.2.4) whose Length field counts the packet number, payload and tag.
    static func long(packetNumberLength: Int, packetNumber: UInt64, payload: [UInt8]) -> TestPacket {
        var bytes: [UInt8] = [0xe0 | UInt8(packetNumberLength - 1), 0x00, 0x00, 0x00, 0x01]
        bytes.append(UInt8(connectionID.count))
        bytes += connectionID
        bytes += [0x04, 0xaa, 0xbb, 0xcc, 0xdd]  // SCID
        let length = packetNumberLength + payload.count + 16
        bytes += [0x40 | UInt8(length >> 8), UInt8(length & 0xff)]  // 2-byte varint (RFC 9000 §16)
        let pnOffset = bytes.count
        bytes += encode(truncated(packetNumber, length: packetNumberLength), length: packetNumberLength)
        bytes += payload
        return TestPacket(bytes: bytes, pnOffset: pnOffset, payload: payload)
    }

    static func make(long: Bool, packetNumberLength: Int, packetNumber: UInt64, payload: [UInt8]) -> TestPacket {
        long ? Self.long(packetNumberLength: packetNumberLength, packetNumber: packetNumber, payload: payload)
            : short(packetNumberLength: packetNumberLength, packetNumber: packetNumber, payload: payload)
    }

    private static func encode(_ value: UInt64, length: Int) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * (length - 1 - $0))) }
    }
}

/// A deterministic non-trivial payload of `count` bytes.
func testPayload(count: Int, seed: UInt8 = 0x11) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
}
