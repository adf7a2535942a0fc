import Testing
@testable import IPPacket

@Suite struct IPPacketParsingTests {
    @Test func linuxSynParses() throws {
        let packet = try IPPacket(parsing: LinuxCaptures.syn)
        guard case .v4(let ip) = packet.network else { Issue.record("not v4"); return }
        #expect(ip.source == IPv4Address(10, 201, 0, 1))
        #expect(ip.destination == IPv4Address(10, 201, 0, 2))
        #expect(ip.dontFragment && !ip.isFragment && ip.timeToLive == 64 && ip.identification == 0x35F6)
        guard case .tcp(let tcp) = packet.transport else { Issue.record("not tcp"); return }
        #expect(tcp.sourcePort == 0x99F8 && tcp.destinationPort == 8080)
        #expect(tcp.sequenceNumber == 0xE86E_014C && tcp.acknowledgmentNumber == 0)
        #expect(tcp.flags == .syn)
        #expect(tcp.window == 64480)
        #expect(tcp.options.maximumSegmentSize == 1240)
        #expect(tcp.options.windowScale == 10)
        #expect(tcp.options.sackPermitted)
        #expect(tcp.options.timestamps == TCPOptions.Timestamps(value: 0xAEEE_7CFF, echoReply: 0))
        #expect(packet.payload.isEmpty)
        #expect(packet.addresses == .v4(source: IPv4Address(10, 201, 0, 1), destination: IPv4Address(10, 201, 0, 2)))
    }

    @Test func linuxUDPParses() throws {
        let packet = try IPPacket(parsing: LinuxCaptures.udp)
        guard case .udp(let udp) = packet.transport else { Issue.record("not udp"); return }
        #expect(udp.sourcePort == 0xB84C && udp.destinationPort == 53 && udp.length == 13)
        #expect(Array(packet.payload) == Array("hello".utf8))
    }

    @Test func everyCorruptedByteOfTheSynIsRejectedOrStillConsistent() {
        // Flipping any single bit must break a checksum (IP header or TCP), never pass silently.
        for index in LinuxCaptures.syn.indices {
            var bytes = LinuxCaptures.syn
            bytes[index] ^= 0x10
            #expect(throws: IPPacketError.self, "byte \(index)") { try IPPacket(parsing: bytes) }
        }
    }

    @Test func typedErrors() {
        #expect(throws: IPPacketError.truncated(.ipv4)) { try IPPacket(parsing: []) }
        #expect(throws: IPPacketError.badVersion(5)) { try IPPacket(parsing: [0x50] + [UInt8](repeating: 0, count: 40)) }
        #expect(throws: IPPacketError.truncated(.ipv4)) { try IPPacket(parsing: Array(LinuxCaptures.syn[0..<30])) }
        var badIHL = LinuxCaptures.syn
        badIHL[0] = 0x44
        #expect(throws: IPPacketError.badHeaderLength(.ipv4)) { try IPPacket(parsing: badIHL) }
        var badTCPChecksum = LinuxCaptures.syn
        badTCPChecksum[badTCPChecksum.count - 1] ^= 0xFF
        #expect(throws: IPPacketError.badChecksum(.tcp)) { try IPPacket(parsing: badTCPChecksum) }
        #expect(throws: IPPacketError.badChecksum(.tcp)) {
            _ = try IPPacket(parsing: badTCPChecksum, verifyChecksums: true)
        }
        #expect((try? IPPacket(parsing: badTCPChecksum, verifyChecksums: false)) != nil)
    }

    @Test func ipv4FragmentsAreRejected() {
        let pair = IPAddressPair.v4(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2))
        var packet = IPPacketBuilder.udp(pair, sourcePort: 1, destinationPort: 2, payload: [1, 2, 3])
        packet[6] |= 0x20  // MF
        packet.withUnsafeMutableBytes { raw in
            raw.storeBE16(0, at: 10)
            var sum = InternetChecksum()
            sum.add(UnsafeRawBufferPointer(rebasing: raw[0..<20]))
            raw.storeBE16(sum.checksum, at: 10)
        }
        #expect(throws: IPPacketError.fragment) { try IPPacket(parsing: packet) }
    }

    @Test func ipv6ExtensionHeadersAreSkippedAndFragmentsRejected() throws {
        let src = try #require(IPv6Address("fd00::1")), dst = try #require(IPv6Address("fd00::2"))
        let udp = IPPacketBuilder.udp(.v6(source: src, destination: dst), sourcePort: 7, destinationPort: 9,
                                      payload: [0xAA, 0xBB])
        // Insert a Destination Options header (8 bytes: next=UDP, len=0, PadN of 4 after 2 bytes) after the fixed header.
        func withExtension(_ next: UInt8, _ ext: [UInt8]) -> [UInt8] {
            var p = Array(udp[0..<40]) + ext + Array(udp[40...])
            p[6] = next
            let payloadLength = p.count - 40
            p[4] = UInt8(payloadLength >> 8); p[5] = UInt8(payloadLength & 0xFF)
            return p
        }
        let dest = withExtension(60, [17, 0, 1, 4, 0, 0, 0, 0])
        let parsed = try IPPacket(parsing: dest)
        #expect(parsed.transport == .udp(UDPHeader(sourcePort: 7, destinationPort: 9, length: 10,
                                                      checksum: parsed.bytes[54] == 0 && parsed.bytes[55] == 0 ? 0 :
                                                        UInt16(parsed.bytes[54]) << 8 | UInt16(parsed.bytes[55]))))
        #expect(Array(parsed.payload) == [0xAA, 0xBB])
        #expect(throws: IPPacketError.fragment) { try IPPacket(parsing: withExtension(44, [17, 0, 0, 0, 0, 0, 0, 1])) }
        #expect(throws: IPPacketError.unsupported(.ipv6)) { try IPPacket(parsing: withExtension(50, [17, 0, 0, 0, 0, 0, 0, 1])) }
        #expect(throws: IPPacketError.truncated(.ipv6)) { try IPPacket(parsing: withExtension(60, [17, 9, 0, 0, 0, 0, 0, 0])) }
    }

    @Test func ipv6UDPWithZeroChecksumIsUnsupported() throws {
        let src = try #require(IPv6Address("fd00::1")), dst = try #require(IPv6Address("fd00::2"))
        var p = IPPacketBuilder.udp(.v6(source: src, destination: dst), sourcePort: 7, destinationPort: 9, payload: [1])
        p[46] = 0; p[47] = 0
        #expect(throws: IPPacketError.unsupported(.udp)) { try IPPacket(parsing: p) }
    }

    @Test func malformedTCPOptionLengthIsRejected() {
        let pair = IPAddressPair.v4(source: IPv4Address(1, 1, 1, 1), destination: IPv4Address(2, 2, 2, 2))
        var header = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: 0, acknowledgmentNumber: 0,
                               flags: .syn, window: 100, options: TCPOptions(maximumSegmentSize: 1000))
        var packet = IPPacketBuilder.tcp(pair, header: header)
        packet[41] = 0  // MSS option length 0
        #expect(throws: IPPacketError.badHeaderLength(.tcp)) { try IPPacket(parsing: packet, verifyChecksums: false) }
        header.options = TCPOptions()
        packet = IPPacketBuilder.tcp(pair, header: header)
        packet[32] = 0xF0  // data offset 60 > segment
        #expect(throws: IPPacketError.truncated(.tcp)) { try IPPacket(parsing: packet, verifyChecksums: false) }
    }

    @Test func addressText() {
        #expect(IPv4Address("10.201.0.2") == IPv4Address(10, 201, 0, 2))
        #expect(IPv4Address("10.201.0") == nil && IPv4Address("256.1.1.1") == nil)
        #expect(IPv6Address("fd00::1")?.low == 1 && IPv6Address("fd00::1")?.high == 0xFD00_0000_0000_0000)
        #expect(IPv6Address("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        #expect(IPv6Address("1::2::3") == nil)
    }
}
