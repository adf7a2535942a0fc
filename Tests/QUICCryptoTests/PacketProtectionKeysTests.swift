import Testing
@testable import QUICCrypto

@Suite struct PacketProtectionKeysTests {
    /// RFC 9001 A.5 publishes `ku = HKDF-Expand-Label(secret, "quic ku", "", 32)` for the ChaCha20 example;
    /// the JSON carries the other A.5 values, so fall back to the RFC's printed value when it lacks `ku`.
    static let rfc9001A5KeyUpdateSecret = "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9"

    /// RFC 9001 A.5: key, iv and hp derived from the ChaCha20-Poly1305 secret.
    @Test func chaCha20KeysMatchRFC9001AppendixA5() throws {
        let vector = try RFC9001Vectors.load().chacha20ShortHeader
        let keys = try PacketProtectionKeys(secret: try [UInt8](hex: vector.secret), suite: .chacha20Poly1305SHA256)
        #expect(keys.key == (try [UInt8](hex: vector.key)))
        #expect(keys.iv == (try [UInt8](hex: vector.iv)))
        #expect(keys.headerProtectionKey == (try [UInt8](hex: vector.hp)))
    }

    /// RFC 9001 §6 and A.5: the next key phase's secret is "quic ku"; key and iv follow it, hp does not.
    @Test func keyUpdateMatchesRFC9001AppendixA5() throws {
        let vector = try RFC9001Vectors.load().chacha20ShortHeader
        let keys = try PacketProtectionKeys(secret: try [UInt8](hex: vector.secret), suite: .chacha20Poly1305SHA256)
        let next = keys.nextKeyPhase()
        #expect(next.secret == (try [UInt8](hex: vector.ku ?? Self.rfc9001A5KeyUpdateSecret)))
        #expect(next.suite == .chacha20Poly1305SHA256)
        #expect(next.headerProtectionKey == keys.headerProtectionKey)
        let fresh = try PacketProtectionKeys(secret: next.secret, suite: .chacha20Poly1305SHA256)
        #expect(next.key == fresh.key)
        #expect(next.iv == fresh.iv)
        #expect(next.key != keys.key)
        #expect(next.iv != keys.iv)
        // Deriving from the new secret alone would also change hp: carrying it over is deliberate.
        #expect(fresh.headerProtectionKey != keys.headerProtectionKey)
        // Updates chain: the phase after next is derived from next, not from the original.
        #expect(next.nextKeyPhase().secret != next.secret)
        #expect(next.nextKeyPhase().secret != keys.secret)
    }

    /// SHA-384 key update, computed independently with Python's hmac/hashlib for the secret 0x00...0x2f.
    @Test func keyUpdateUsesTheSuiteHash() throws {
        let keys = try PacketProtectionKeys(secret: [UInt8](0..<48), suite: .aes256GCMSHA384)
        let next = keys.nextKeyPhase()
        #expect(next.secret == (try [UInt8](hex:
            "d21f524277390ba96b86484d9c687f850f1e4d1f997033bba06051129179a762a94067d065f3f715e83d65a7bf8c79b9")))
        #expect(next.key.count == 32)
        #expect(next.headerProtectionKey == keys.headerProtectionKey)
    }

    @Test(arguments: CipherSuite.allCases)
    func derivedLengthsFollowTheSuite(suite: CipherSuite) throws {
        let keys = try PacketProtectionKeys(secret: [UInt8](repeating: 7, count: suite.hashLength), suite: suite)
        #expect(keys.key.count == suite.keyLength)
        #expect(keys.iv.count == 12)
        #expect(keys.headerProtectionKey.count == suite.keyLength)
        #expect(keys.nextKeyPhase().secret.count == suite.hashLength)
    }

    @Test(arguments: CipherSuite.allCases)
    func secretOfTheWrongLengthIsRejected(suite: CipherSuite) {
        for length in [0, 16, suite.hashLength - 1, suite.hashLength + 1, 64] {
            #expect(throws: QUICCryptoError.invalidSecret) {
                _ = try PacketProtectionKeys(secret: [UInt8](repeating: 1, count: length), suite: suite)
            }
        }
    }

    /// RFC 9001 §6: after a key update the old phase can no longer open packets, the peer's updated phase can.
    @Test(arguments: CipherSuite.allCases)
    func packetsSealedAfterKeyUpdateNeedTheUpdatedKeys(suite: CipherSuite) throws {
        let secret = [UInt8](repeating: 0x42, count: suite.hashLength)
        let sender = PacketProtector(keys: try PacketProtectionKeys(secret: secret, suite: suite).nextKeyPhase())
        let receiverOld = PacketProtector(keys: try PacketProtectionKeys(secret: secret, suite: suite))
        let receiverNew = PacketProtector(keys: receiverOld.keys.nextKeyPhase())

        let plain = TestPacket.short(packetNumberLength: 2, packetNumber: 0x0102, payload: [0x01, 0x00, 0x00, 0x00])
        var packet = plain.bytes
        try sender.seal(packet: &packet, packetStart: 0, packetNumberOffset: plain.pnOffset,
                        packetNumberLength: 2, packetNumber: 0x0102)

        // Header protection is unchanged across phases, so both receivers read the same packet number.
        var forOld = packet
        let old = try receiverOld.removeHeaderProtection(packet: &forOld, packetStart: 0,
                                                         packetNumberOffset: plain.pnOffset, packetEnd: forOld.count)
        var forNew = packet
        let new = try receiverNew.removeHeaderProtection(packet: &forNew, packetStart: 0,
                                                         packetNumberOffset: plain.pnOffset, packetEnd: forNew.count)
        #expect(old.truncated == 0x0102 && new.truncated == 0x0102)
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try receiverOld.open(packet: forOld, packetStart: 0, payloadOffset: plain.pnOffset + 2,
                                     packetEnd: forOld.count, packetNumber: 0x0102)
        }
        let opened = try receiverNew.open(packet: forNew, packetStart: 0, payloadOffset: plain.pnOffset + 2,
                                          packetEnd: forNew.count, packetNumber: 0x0102)
        #expect(opened == plain.payload)
    }
}
