import Testing
@testable import QUICWire

@Suite("Packet headers (RFC 9000 §17)")
struct PacketHeaderTests {
    static let clientDCID = ConnectionID(hexBytes("8394c8f03e515708"))!
    static let serverSCID = ConnectionID(hexBytes("f067a5502a4262b5"))!

    /// A long-header packet with `payloadLength` filler bytes after the packet number.
    static func longPacket(_ type: LongPacketType, token: [UInt8] = [], packetNumber: UInt64 = 7,
                           packetNumberLength: Int = 2, payloadLength: Int = 24) -> (bytes: [UInt8], pnOffset: Int) {
        var bytes: [UInt8] = []
        let pnOffset = PacketHeaderBuilder.appendLongHeader(
            type: type, version: QUICVersion.v1, destination: cid(8), source: cid(5, start: 0x40), token: token,
            packetNumber: packetNumber, packetNumberLength: packetNumberLength, payloadLength: payloadLength,
            into: &bytes)
        bytes.append(contentsOf: [UInt8](repeating: 0xee, count: payloadLength))
        return (bytes, pnOffset)
    }

    // MARK: - RFC 9001 Appendix A headers (unprotected)

    @Test func buildsTheRFC9001ClientInitialHeader() {
        var bytes: [UInt8] = []
        let pnOffset = PacketHeaderBuilder.appendLongHeader(
            type: .initial, version: QUICVersion.v1, destination: Self.clientDCID, source: .empty, token: [],
            packetNumber: 2, packetNumberLength: 4, payloadLength: 1182 - 4, into: &bytes)
        #expect(bytes == hexBytes("c300000001088394c8f03e5157080000449e00000002"))
        #expect(pnOffset == 18)
    }

    @Test func buildsTheRFC9001ServerInitialHeader() {
        var bytes: [UInt8] = []
        let pnOffset = PacketHeaderBuilder.appendLongHeader(
            type: .initial, version: QUICVersion.v1, destination: .empty, source: Self.serverSCID, token: [],
            packetNumber: 1, packetNumberLength: 2, payloadLength: 117 - 2, into: &bytes)
        #expect(bytes == hexBytes("c1000000010008f067a5502a4262b50040750001"))
        #expect(pnOffset == 18)
    }

    @Test func buildsTheRFC9001ShortHeader() {
        // RFC 9001 A.5: packet number 654360 "encoded as 49140 (0xbff4)" on three bytes.
        var bytes: [UInt8] = []
        let pnOffset = PacketHeaderBuilder.appendShortHeader(destination: .empty, keyPhase: false, packetNumber: 49140,
                                                             packetNumberLength: 3, into: &bytes)
        #expect(bytes == hexBytes("4200bff4"))
        #expect(pnOffset == 1)
    }

    @Test func buildsAndParsesTheRFC9001RetryPacket() throws {
        let withoutTag = PacketHeaderBuilder.retryWithoutTag(version: QUICVersion.v1, destination: .empty,
                                                             source: Self.serverSCID, token: Array("token".utf8),
                                                             randomBits: 0x0f)
        #expect(withoutTag == hexBytes("ff000000010008f067a5502a4262b5746f6b656e"))
        let tag = hexBytes("04a265ba2eff4d829058fb3f0f2496ba")
        let packet = withoutTag + tag
        let header = try PacketHeader.parse(datagram: packet, at: 0, shortHeaderConnectionIDLength: 8)
        #expect(header.form == .retry(token: Array("token".utf8), integrityTag: tag))
        #expect(header.sourceConnectionID == Self.serverSCID)
        #expect(header.destinationConnectionID == .empty)
        #expect(header.packetNumberSpace == nil)
        #expect(header.packetNumberOffset == packet.count)
        #expect(header.packetEnd == packet.count)
    }

    // MARK: - Long header round trips

    @Test func initialWithTokenRoundTrips() throws {
        let token: [UInt8] = Array(1...70)
        let (bytes, pnOffset) = Self.longPacket(.initial, token: token, packetNumber: 0x1234, packetNumberLength: 2)
        let header = try PacketHeader.parse(datagram: bytes, at: 0, shortHeaderConnectionIDLength: 8)
        #expect(header.form == .initial(token: token))
        #expect(header.version == QUICVersion.v1)
        #expect(header.destinationConnectionID == cid(8))
        #expect(header.sourceConnectionID == cid(5, start: 0x40))
        #expect(header.packetStart == 0)
        #expect(header.packetNumberOffset == pnOffset)
        #expect(header.packetEnd == bytes.count)
        #expect(header.packetNumberSpace == .initial)
        #expect(header.longPacketType == .initial)
        #expect(bytes[0] & PacketHeader.packetNumberLengthMask == 1, "PN length bits = length - 1")
        #expect(bytes[0] & 0x0c == 0, "reserved bits are zero")
        #expect(Array(bytes[pnOffset..<(pnOffset + 2)]) == [0x12, 0x34])
    }

    @Test(arguments: [(LongPacketType.handshake, PacketNumberSpace.handshake, PacketHeader.Form.handshake),
                      (.zeroRTT, .applicationData, .zeroRTT)])
    func handshakeAndZeroRTTRoundTrip(type: LongPacketType, space: PacketNumberSpace, form: PacketHeader.Form) throws {
        for pnLength in 1...4 {
            let (bytes, pnOffset) = Self.longPacket(type, packetNumber: 0xa1b2_c3d4, packetNumberLength: pnLength)
            let header = try PacketHeader.parse(datagram: bytes, at: 0, shortHeaderConnectionIDLength: 8)
            #expect(header.form == form)
            #expect(header.packetNumberSpace == space)
            #expect(header.packetNumberOffset == pnOffset)
            #expect(header.packetEnd == bytes.count)
            #expect(Int(bytes[0] & 0x03) + 1 == pnLength)
            #expect(bytes[0] & 0x30 == type.rawValue << 4)
            let truncated = try ByteReader(bytes, range: pnOffset..<bytes.count).readBigEndianValue(pnLength)
            #expect(truncated == 0xa1b2_c3d4 & ((1 << UInt64(pnLength * 8)) - 1))
        }
    }

    @Test func coalescedPacketsParseOneAfterAnother() throws {
        let first = Self.longPacket(.initial, token: [9, 9], payloadLength: 40).bytes
        let second = Self.longPacket(.handshake, payloadLength: 33).bytes
        var shortPacket: [UInt8] = []
        _ = PacketHeaderBuilder.appendShortHeader(destination: cid(8), keyPhase: true, packetNumber: 3,
                                                  packetNumberLength: 1, into: &shortPacket)
        shortPacket.append(contentsOf: [UInt8](repeating: 0xdd, count: 20))
        let datagram = first + second + shortPacket

        let one = try PacketHeader.parse(datagram: datagram, at: 0, shortHeaderConnectionIDLength: 8)
        #expect(one.packetEnd == first.count)
        let two = try PacketHeader.parse(datagram: datagram, at: one.packetEnd, shortHeaderConnectionIDLength: 8)
        #expect(two.form == .handshake)
        #expect(two.packetStart == first.count)
        #expect(two.packetEnd == first.count + second.count)
        let three = try PacketHeader.parse(datagram: datagram, at: two.packetEnd, shortHeaderConnectionIDLength: 8)
        #expect(three.form == .short)
        #expect(three.packetEnd == datagram.count)
        #expect(three.packetNumberOffset == two.packetEnd + 1 + 8)
    }

    // MARK: - Short header

    @Test func shortHeaderRoundTripsWithKeyPhase() throws {
        for keyPhase in [false, true] {
            var bytes: [UInt8] = []
            let pnOffset = PacketHeaderBuilder.appendShortHeader(destination: cid(12), keyPhase: keyPhase,
                                                                 packetNumber: 0x0102_0304, packetNumberLength: 4,
                                                                 into: &bytes)
            bytes.append(contentsOf: [1, 2, 3])
            #expect(bytes[0] == 0x40 | (keyPhase ? 0x04 : 0) | 0x03)
            let header = try PacketHeader.parse(datagram: bytes, at: 0, shortHeaderConnectionIDLength: 12)
            #expect(header.form == .short)
            #expect(header.version == 0)
            #expect(header.destinationConnectionID == cid(12))
            #expect(header.sourceConnectionID == .empty)
            #expect(header.packetNumberOffset == pnOffset)
            #expect(header.packetEnd == bytes.count)
            #expect(header.packetNumberSpace == .applicationData)
            #expect(!header.isLongHeader)
        }
    }

    // MARK: - Version negotiation

    @Test func versionNegotiationRoundTrips() throws {
        let packet = PacketHeaderBuilder.versionNegotiation(destination: cid(5), source: cid(8, start: 0x70),
                                                            versions: [QUICVersion.v1, 0x1a2a_3a4a],
                                                            randomFirstByte: 0x3f)
        #expect(packet[0] & 0x80 == 0x80)
        #expect(PacketHeader.peekVersion(datagram: packet) == 0)
        let header = try PacketHeader.parse(datagram: packet, at: 0, shortHeaderConnectionIDLength: 8)
        #expect(header.form == .versionNegotiation(supportedVersions: [QUICVersion.v1, 0x1a2a_3a4a]))
        #expect(header.version == 0)
        #expect(header.destinationConnectionID == cid(5))
        #expect(header.sourceConnectionID == cid(8, start: 0x70))
        #expect(header.packetEnd == packet.count)
        #expect(header.packetNumberOffset == packet.count)
        #expect(header.packetNumberSpace == nil)
        #expect(QUICVersion.isReservedForNegotiation(0x1a2a_3a4a))
        #expect(!QUICVersion.isReservedForNegotiation(QUICVersion.v1))
    }

    @Test func versionNegotiationWithAPartialVersionThrows() {
        let packet = PacketHeaderBuilder.versionNegotiation(destination: cid(5), source: cid(5), versions: [1],
                                                            randomFirstByte: 0) + [0x00]
        #expect(wireError { () throws(QUICWireError) in
            try PacketHeader.parse(datagram: packet, at: 0, shortHeaderConnectionIDLength: 0)
        } != nil)
    }

    @Test func unknownVersionThrowsButCanBePeeked() throws {
        var packet = Self.longPacket(.initial).bytes
        packet[1...4] = [0xde, 0xad, 0xbe, 0xef]
        let error = wireError { () throws(QUICWireError) in
            try PacketHeader.parse(datagram: packet, at: 0, shortHeaderConnectionIDLength: 8)
        }
        #expect(error?.reason == "unsupported version")
        #expect(PacketHeader.peekVersion(datagram: packet) == 0xdead_beef)
        let invariants = try #require(PacketHeader.peekLongHeaderInvariants(datagram: packet))
        #expect(invariants.version == 0xdead_beef)
        #expect(invariants.destinationConnectionID == cid(8))
        #expect(invariants.sourceConnectionID == cid(5, start: 0x40))
    }

    // MARK: - Peeking

    @Test func peeksTheDestinationConnectionIDForRouting() {
        let long = Self.longPacket(.handshake).bytes
        #expect(PacketHeader.peekDestinationConnectionID(datagram: long, shortHeaderConnectionIDLength: 4) == cid(8))
        var short: [UInt8] = []
        _ = PacketHeaderBuilder.appendShortHeader(destination: cid(4), keyPhase: false, packetNumber: 0,
                                                  packetNumberLength: 1, into: &short)
        #expect(PacketHeader.peekDestinationConnectionID(datagram: short, shortHeaderConnectionIDLength: 4) == cid(4))
        #expect(PacketHeader.peekDestinationConnectionID(datagram: [0x40, 1], shortHeaderConnectionIDLength: 4) == nil)
        #expect(PacketHeader.peekDestinationConnectionID(datagram: [], shortHeaderConnectionIDLength: 0) == nil)
        #expect(PacketHeader.peekDestinationConnectionID(datagram: Array(long[0..<10]), shortHeaderConnectionIDLength: 0) == nil)
        #expect(PacketHeader.peekVersion(datagram: short) == nil)
        #expect(PacketHeader.peekVersion(datagram: [0xc0, 0, 0, 0]) == nil)
    }

    // MARK: - Malformed headers

    @Test func truncatedHeadersThrowAtEveryLength() {
        var short: [UInt8] = []
        _ = PacketHeaderBuilder.appendShortHeader(destination: cid(8), keyPhase: false, packetNumber: 1,
                                                  packetNumberLength: 2, into: &short)
        let retry = PacketHeaderBuilder.retryWithoutTag(version: QUICVersion.v1, destination: cid(3), source: cid(4),
                                                        token: [1, 2, 3], randomBits: 0) + [UInt8](repeating: 7, count: 16)
        let vn = PacketHeaderBuilder.versionNegotiation(destination: cid(3), source: cid(4), versions: [1],
                                                        randomFirstByte: 0)
        let idsEnd = 1 + 4 + 1 + 3 + 1 + 4   // first byte, version, 3-byte DCID, 4-byte SCID
        // Long packets throw at every cut (their Length field no longer fits); a short header needs its
        // DCID and one packet number byte; a Retry needs room for its 16-byte tag.
        let cases: [(packet: [UInt8], throwsBelow: Int)] = [
            (Self.longPacket(.initial, token: [1, 2, 3]).bytes, Self.longPacket(.initial, token: [1, 2, 3]).bytes.count),
            (Self.longPacket(.handshake).bytes, Self.longPacket(.handshake).bytes.count),
            (Self.longPacket(.zeroRTT).bytes, Self.longPacket(.zeroRTT).bytes.count),
            (short, 1 + 8 + 1),
            (retry, idsEnd + 16),
            (vn, vn.count),
        ]
        for (packet, throwsBelow) in cases {
            for cut in 0..<throwsBelow {
                // A VN packet cut right after its SCID has an empty, well-formed version list.
                if packet == vn, cut == idsEnd { continue }
                let error = wireError { () throws(QUICWireError) in
                    try PacketHeader.parse(datagram: Array(packet[0..<cut]), at: 0, shortHeaderConnectionIDLength: 8)
                }
                #expect(error?.code == .protocolViolation, "cut at \(cut) of \(packet.count)")
            }
            #expect(wireError { () throws(QUICWireError) in
                try PacketHeader.parse(datagram: Array(packet[0..<throwsBelow]), at: 0, shortHeaderConnectionIDLength: 8)
            } == nil, "the shortest valid prefix parses")
        }
    }

    @Test func longHeaderLengthBeyondTheDatagramThrows() {
        let packet = Self.longPacket(.handshake, payloadLength: 20).bytes
        // The datagram is one byte shorter than the Length field claims.
        #expect(wireError { () throws(QUICWireError) in
            try PacketHeader.parse(datagram: Array(packet.dropLast()), at: 0, shortHeaderConnectionIDLength: 0)
        }?.code == .protocolViolation)
    }

    @Test func zeroLengthFieldThrows() {
        var packet: [UInt8] = [0xe0, 0, 0, 0, 1, 0, 0]
        packet.append(contentsOf: [0x40, 0x00])   // Length 0 in the 2-byte form
        packet.append(contentsOf: [1, 2, 3])
        #expect(wireError { () throws(QUICWireError) in
            try PacketHeader.parse(datagram: packet, at: 0, shortHeaderConnectionIDLength: 0)
        } != nil)
    }

    @Test func fixedBitMustBeSet() {
        var long = Self.longPacket(.handshake).bytes
        long[0] &= ~PacketHeader.fixedBit
        #expect(wireError { () throws(QUICWireError) in
            try PacketHeader.parse(datagram: long, at: 0, shortHeaderConnectionIDLength: 8)
        }?.reason == "fixed bit is zero")
        let short: [UInt8] = [0x00] + [UInt8](repeating: 1, count: 12)
        #expect(wireError { () throws(QUICWireError) in
            try PacketHeader.parse(datagram: short, at: 0, shortHeaderConnectionIDLength: 8)
        }?.reason == "fixed bit is zero")
    }

    @Test func connectionIDsLongerThanTwentyBytesThrow() {
        var packet: [UInt8] = [0xe0, 0, 0, 0, 1, 21]
        packet.append(contentsOf: [UInt8](repeating: 1, count: 21))
        packet.append(contentsOf: [0, 1, 0])
        #expect(wireError { () throws(QUICWireError) in
            try PacketHeader.parse(datagram: packet, at: 0, shortHeaderConnectionIDLength: 8)
        }?.code == .protocolViolation)
        #expect(PacketHeader.peekDestinationConnectionID(datagram: packet, shortHeaderConnectionIDLength: 8) == nil)
    }

    @Test func offsetsOutsideTheDatagramThrow() {
        let packet = Self.longPacket(.handshake).bytes
        for offset in [-1, packet.count, packet.count + 5] {
            #expect(wireError { () throws(QUICWireError) in
                try PacketHeader.parse(datagram: packet, at: offset, shortHeaderConnectionIDLength: 8)
            } != nil)
        }
    }
}

private extension ByteReader {
    func readBigEndianValue(_ count: Int) throws(QUICWireError) -> UInt64 {
        var copy = self
        return try copy.readBigEndian(byteCount: count)
    }
}
