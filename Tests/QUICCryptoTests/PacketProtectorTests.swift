import Testing
@testable import QUICCrypto

@Suite struct PacketProtectorTests {
    static func protector(_ suite: CipherSuite, seed: UInt8 = 0x33) throws -> PacketProtector {
        PacketProtector(keys: try PacketProtectionKeys(
            secret: (0..<suite.hashLength).map { UInt8(truncatingIfNeeded: $0) &+ seed }, suite: suite))
    }

    static let packetNumbers: [UInt64] = [0, 1, 0xa1_b2c3_d4e5, PacketProtector.maximumPacketNumber]

    // MARK: - Round trips

    @Test(arguments: CipherSuite.allCases, 1...4)
    func roundTripLongAndShortHeaders(suite: CipherSuite, packetNumberLength: Int) throws {
        let protector = try Self.protector(suite)
        let minimum = PacketProtector.minimumPayloadLength(packetNumberLength: packetNumberLength)
        for long in [true, false] {
            for payloadCount in [minimum, minimum + 1, 37, 1200] {
                for packetNumber in Self.packetNumbers {
                    let plain = TestPacket.make(long: long, packetNumberLength: packetNumberLength,
                                                packetNumber: packetNumber, payload: testPayload(count: payloadCount))
                    let payloadOffset = plain.pnOffset + packetNumberLength
                    var packet = plain.bytes
                    try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: plain.pnOffset,
                                       packetNumberLength: packetNumberLength, packetNumber: packetNumber)
                    #expect(packet.count == plain.bytes.count + 16)
                    // RFC 9001 §5.4.1: only the low 4 (long) or 5 (short) bits of the first byte are masked,
                    // and nothing between the first byte and the packet number.
                    let kept: UInt8 = long ? 0xf0 : 0xe0
                    #expect(packet[0] & kept == plain.bytes[0] & kept)
                    #expect(packet[1..<plain.pnOffset] == plain.bytes[1..<plain.pnOffset])
                    if payloadCount >= 8 {
                        #expect(packet[payloadOffset..<plain.bytes.count] != plain.bytes[payloadOffset...])
                    }

                    let read = try protector.removeHeaderProtection(packet: &packet, packetStart: 0,
                                                                    packetNumberOffset: plain.pnOffset,
                                                                    packetEnd: packet.count)
                    #expect(read.length == packetNumberLength)
                    #expect(read.truncated == TestPacket.truncated(packetNumber, length: packetNumberLength))
                    #expect(Array(packet[..<payloadOffset]) == Array(plain.bytes[..<payloadOffset]))
                    let opened = try protector.open(packet: packet, packetStart: 0, payloadOffset: payloadOffset,
                                                    packetEnd: packet.count, packetNumber: packetNumber)
                    #expect(opened == plain.payload, "\(suite) long=\(long) payload=\(payloadCount) pn=\(packetNumber)")
                }
            }
        }
    }

    /// RFC 9000 §12.2: several packets coalesced in one datagram, each protected at its own offset.
    @Test(arguments: CipherSuite.allCases)
    func coalescedPacketsAreProtectedIndependently(suite: CipherSuite) throws {
        let first = try Self.protector(suite, seed: 1)
        let second = try Self.protector(suite, seed: 2)
        let handshake = TestPacket.long(packetNumberLength: 2, packetNumber: 7, payload: testPayload(count: 50))
        var datagram = handshake.bytes
        try first.seal(packet: &datagram, packetStart: 0, packetNumberOffset: handshake.pnOffset,
                       packetNumberLength: 2, packetNumber: 7)
        let firstEnd = datagram.count
        let sealedFirst = datagram

        let oneRTT = TestPacket.short(packetNumberLength: 3, packetNumber: 9, payload: testPayload(count: 30, seed: 9))
        datagram += oneRTT.bytes
        try second.seal(packet: &datagram, packetStart: firstEnd, packetNumberOffset: firstEnd + oneRTT.pnOffset,
                        packetNumberLength: 3, packetNumber: 9)
        #expect(Array(datagram[..<firstEnd]) == sealedFirst)

        let readSecond = try second.removeHeaderProtection(packet: &datagram, packetStart: firstEnd,
                                                           packetNumberOffset: firstEnd + oneRTT.pnOffset,
                                                           packetEnd: datagram.count)
        #expect(readSecond.length == 3 && readSecond.truncated == 9)
        #expect(try second.open(packet: datagram, packetStart: firstEnd, payloadOffset: firstEnd + oneRTT.pnOffset + 3,
                                packetEnd: datagram.count, packetNumber: 9) == oneRTT.payload)

        let readFirst = try first.removeHeaderProtection(packet: &datagram, packetStart: 0,
                                                         packetNumberOffset: handshake.pnOffset, packetEnd: firstEnd)
        #expect(readFirst.length == 2 && readFirst.truncated == 7)
        #expect(try first.open(packet: datagram, packetStart: 0, payloadOffset: handshake.pnOffset + 2,
                               packetEnd: firstEnd, packetNumber: 7) == handshake.payload)
    }

    /// RFC 9001 §5.3: the nonce uses the full packet number, not the truncated one on the wire.
    @Test(arguments: CipherSuite.allCases)
    func nonceUsesTheFullPacketNumber(suite: CipherSuite) throws {
        let protector = try Self.protector(suite)
        let plain = TestPacket.short(packetNumberLength: 1, packetNumber: 0x100, payload: testPayload(count: 20))
        var a = plain.bytes
        var b = plain.bytes
        try protector.seal(packet: &a, packetStart: 0, packetNumberOffset: plain.pnOffset, packetNumberLength: 1,
                           packetNumber: 0x100)
        try protector.seal(packet: &b, packetStart: 0, packetNumberOffset: plain.pnOffset, packetNumberLength: 1,
                           packetNumber: 0x200)
        #expect(a[(plain.pnOffset + 1)...] != b[(plain.pnOffset + 1)...])

        _ = try protector.removeHeaderProtection(packet: &a, packetStart: 0, packetNumberOffset: plain.pnOffset,
                                                 packetEnd: a.count)
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try protector.open(packet: a, packetStart: 0, payloadOffset: plain.pnOffset + 1, packetEnd: a.count,
                                   packetNumber: 0x200)
        }
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try protector.open(packet: a, packetStart: 0, payloadOffset: plain.pnOffset + 1, packetEnd: a.count,
                                   packetNumber: 0x100 | 1 << 40)
        }
        #expect(try protector.open(packet: a, packetStart: 0, payloadOffset: plain.pnOffset + 1, packetEnd: a.count,
                                   packetNumber: 0x100) == plain.payload)
    }

    /// A packet with an empty payload (4-byte packet number) still has its tag verified.
    @Test(arguments: CipherSuite.allCases)
    func emptyPayloadTagIsVerified(suite: CipherSuite) throws {
        let protector = try Self.protector(suite)
        let plain = TestPacket.short(packetNumberLength: 4, packetNumber: 7, payload: [])
        var packet = plain.bytes
        try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: plain.pnOffset, packetNumberLength: 4,
                           packetNumber: 7)
        _ = try protector.removeHeaderProtection(packet: &packet, packetStart: 0, packetNumberOffset: plain.pnOffset,
                                                 packetEnd: packet.count)
        #expect(try protector.open(packet: packet, packetStart: 0, payloadOffset: plain.pnOffset + 4,
                                   packetEnd: packet.count, packetNumber: 7) == [])
        packet[packet.count - 1] ^= 0x01
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try protector.open(packet: packet, packetStart: 0, payloadOffset: plain.pnOffset + 4,
                                   packetEnd: packet.count, packetNumber: 7)
        }
    }

    /// RFC 9001 §5.3: nonce = iv XOR the packet number left-padded to 12 bytes; A.5 prints the ChaCha20 one.
    @Test func nonceIsTheIVXoredWithThePaddedPacketNumber() throws {
        let vector = try RFC9001Vectors.load().chacha20ShortHeader
        let keys = try PacketProtectionKeys(secret: try [UInt8](hex: vector.secret), suite: .chacha20Poly1305SHA256)
        func nonce(_ packetNumber: UInt64) -> [UInt8] {
            withUnsafeBytes(of: keys.aead.nonceWords(packetNumber: packetNumber)) { Array($0) }
        }
        #expect(nonce(654_360_564).hex == "e0459b3474bdd0e46d417eb0")
        #expect(nonce(0) == keys.iv)
        let high: UInt64 = 0x3fed_cba9_8765_4321
        let expected = keys.iv.enumerated().map { index, byte in
            index < 4 ? byte : byte ^ UInt8(truncatingIfNeeded: high >> UInt64(8 * (11 - index)))
        }
        #expect(nonce(high) == expected)
    }

    // MARK: - Tampering

    enum Region: CaseIterable {
        case firstByte, headerByte, packetNumber, ciphertext, tag
    }

    /// RFC 9001 §5.5: any change to header, packet number, ciphertext or tag fails authentication.
    @Test(arguments: CipherSuite.allCases, Region.allCases)
    func tamperingFailsAuthentication(suite: CipherSuite, region: Region) throws {
        let protector = try Self.protector(suite)
        for long in [true, false] {
            let plain = TestPacket.make(long: long, packetNumberLength: 2, packetNumber: 0x1234,
                                        payload: testPayload(count: 40))
            var packet = plain.bytes
            try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: plain.pnOffset,
                               packetNumberLength: 2, packetNumber: 0x1234)
            let index = switch region {
            case .firstByte: 0
            case .headerByte: plain.pnOffset - 1
            case .packetNumber: plain.pnOffset + 1
            case .ciphertext: plain.pnOffset + 2 + 30  // beyond the header-protection sample
            case .tag: packet.count - 1
            }
            // 0x01 is a protected bit of the first byte (pn length) and flips a bit everywhere else.
            packet[index] ^= 0x01
            let read = try protector.removeHeaderProtection(packet: &packet, packetStart: 0,
                                                            packetNumberOffset: plain.pnOffset,
                                                            packetEnd: packet.count)
            // Decode as a receiver would, from what it read: here the full number fits in the truncated one.
            #expect(throws: QUICCryptoError.authenticationFailed, "\(region) long=\(long)") {
                _ = try protector.open(packet: packet, packetStart: 0, payloadOffset: plain.pnOffset + read.length,
                                       packetEnd: packet.count, packetNumber: read.truncated)
            }
        }
    }

    @Test(arguments: CipherSuite.allCases)
    func otherKeysFailAuthentication(suite: CipherSuite) throws {
        let sender = try Self.protector(suite, seed: 1)
        let receiver = try Self.protector(suite, seed: 2)
        let plain = TestPacket.short(packetNumberLength: 4, packetNumber: 5, payload: testPayload(count: 64))
        var packet = plain.bytes
        try sender.seal(packet: &packet, packetStart: 0, packetNumberOffset: plain.pnOffset, packetNumberLength: 4,
                        packetNumber: 5)
        let read = try receiver.removeHeaderProtection(packet: &packet, packetStart: 0,
                                                       packetNumberOffset: plain.pnOffset, packetEnd: packet.count)
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try receiver.open(packet: packet, packetStart: 0, payloadOffset: plain.pnOffset + read.length,
                                  packetEnd: packet.count, packetNumber: read.truncated)
        }
    }

    // MARK: - Short packets

    /// RFC 9001 §5.4.2: the sample needs 20 bytes from the packet-number offset; a receiver drops shorter ones.
    @Test(arguments: CipherSuite.allCases)
    func removeHeaderProtectionRejectsShortPackets(suite: CipherSuite) throws {
        let protector = try Self.protector(suite)
        let plain = TestPacket.short(packetNumberLength: 1, packetNumber: 1, payload: testPayload(count: 3))
        var packet = plain.bytes
        try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: plain.pnOffset, packetNumberLength: 1,
                           packetNumber: 1)
        #expect(packet.count - plain.pnOffset == 20)

        let sealed = packet
        for end in [0, 1, plain.pnOffset, packet.count - 1] {
            #expect(throws: QUICCryptoError.packetTooShort, "end \(end)") {
                _ = try protector.removeHeaderProtection(packet: &packet, packetStart: 0,
                                                         packetNumberOffset: plain.pnOffset, packetEnd: end)
            }
        }
        // An end beyond the received bytes (e.g. a lying Length field) is refused, not read.
        #expect(throws: QUICCryptoError.packetTooShort) {
            _ = try protector.removeHeaderProtection(packet: &packet, packetStart: 0,
                                                     packetNumberOffset: plain.pnOffset, packetEnd: packet.count + 1)
        }
        // Absurd ends (e.g. from arithmetic on a hostile Length field) are refused without overflow.
        for end in [-1, Int.min] {
            #expect(throws: QUICCryptoError.packetTooShort, "end \(end)") {
                _ = try protector.removeHeaderProtection(packet: &packet, packetStart: 0,
                                                         packetNumberOffset: plain.pnOffset, packetEnd: end)
            }
        }
        var empty: [UInt8] = []
        #expect(throws: QUICCryptoError.packetTooShort) {
            _ = try protector.removeHeaderProtection(packet: &empty, packetStart: 0, packetNumberOffset: 1, packetEnd: 0)
        }
        #expect(packet == sealed, "a refused packet is left untouched")

        // Exactly 20 bytes is enough.
        _ = try protector.removeHeaderProtection(packet: &packet, packetStart: 0, packetNumberOffset: plain.pnOffset,
                                                 packetEnd: packet.count)
        #expect(try protector.open(packet: packet, packetStart: 0, payloadOffset: plain.pnOffset + 1,
                                   packetEnd: packet.count, packetNumber: 1) == plain.payload)
    }

    @Test func openRejectsPayloadsShorterThanTheTag() throws {
        let protector = try Self.protector(.aes128GCMSHA256)
        let packet = [UInt8](repeating: 0x40, count: 30)
        for end in [10, 10 + 15] {
            #expect(throws: QUICCryptoError.packetTooShort) {
                _ = try protector.open(packet: packet, packetStart: 0, payloadOffset: 10, packetEnd: end, packetNumber: 0)
            }
        }
        for end in [31, 5, -1, Int.min] {
            #expect(throws: QUICCryptoError.packetTooShort, "end \(end)") {
                _ = try protector.open(packet: packet, packetStart: 0, payloadOffset: 10, packetEnd: end, packetNumber: 0)
            }
        }
        // 16 bytes is an empty payload plus a tag: well-formed, but this tag is garbage.
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try protector.open(packet: packet, packetStart: 0, payloadOffset: 10, packetEnd: 26, packetNumber: 0)
        }
    }

    @Test(arguments: 1...3)
    func sealRefusesPayloadsTooShortForTheSample(packetNumberLength: Int) throws {
        let protector = try Self.protector(.chacha20Poly1305SHA256)
        let minimum = PacketProtector.minimumPayloadLength(packetNumberLength: packetNumberLength)
        #expect(minimum == 4 - packetNumberLength)
        let plain = TestPacket.short(packetNumberLength: packetNumberLength, packetNumber: 3,
                                     payload: testPayload(count: minimum - 1))
        var packet = plain.bytes
        #expect(throws: QUICCryptoError.packetTooShort) {
            try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: plain.pnOffset,
                               packetNumberLength: packetNumberLength, packetNumber: 3)
        }
        #expect(packet == plain.bytes)
        #expect(PacketProtector.minimumPayloadLength(packetNumberLength: 4) == 0)
    }

    // MARK: - Misuse

    static func expectInternalFailure(_ comment: Comment, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected internalFailure: \(comment)")
        } catch {
            guard case .internalFailure? = error as? QUICCryptoError else {
                Issue.record("expected internalFailure, got \(error): \(comment)")
                return
            }
        }
    }

    @Test func inconsistentArgumentsAreReportedNotTrapped() throws {
        let protector = try Self.protector(.aes128GCMSHA256)
        let plain = TestPacket.short(packetNumberLength: 2, packetNumber: 3, payload: testPayload(count: 20))
        var packet = plain.bytes
        let pnOffset = plain.pnOffset
        Self.expectInternalFailure("pn length 0") {
            try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: pnOffset, packetNumberLength: 0,
                               packetNumber: 3)
        }
        Self.expectInternalFailure("pn length 5") {
            try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: pnOffset, packetNumberLength: 5,
                               packetNumber: 3)
        }
        Self.expectInternalFailure("first byte says 2, caller says 3") {
            try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: pnOffset, packetNumberLength: 3,
                               packetNumber: 3)
        }
        Self.expectInternalFailure("packet number above 2^62-1") {
            try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: pnOffset, packetNumberLength: 2,
                               packetNumber: 1 << 62)
        }
        Self.expectInternalFailure("packet start after the packet number") {
            try protector.seal(packet: &packet, packetStart: pnOffset, packetNumberOffset: pnOffset,
                               packetNumberLength: 2, packetNumber: 3)
        }
        Self.expectInternalFailure("packet number beyond the array") {
            try protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: packet.count - 1,
                               packetNumberLength: 2, packetNumber: 3)
        }
        Self.expectInternalFailure("negative packet start") {
            _ = try protector.removeHeaderProtection(packet: &packet, packetStart: -1, packetNumberOffset: pnOffset,
                                                     packetEnd: packet.count)
        }
        Self.expectInternalFailure("payload offset at packet start") {
            _ = try protector.open(packet: packet, packetStart: 5, payloadOffset: 5, packetEnd: packet.count,
                                   packetNumber: 3)
        }
        Self.expectInternalFailure("open with packet number above 2^62-1") {
            _ = try protector.open(packet: packet, packetStart: 0, payloadOffset: pnOffset + 2, packetEnd: packet.count,
                                   packetNumber: .max)
        }
        #expect(packet == plain.bytes)
    }
}
