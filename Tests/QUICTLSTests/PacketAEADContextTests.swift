import QUICTLS
import Testing

@Suite("BoringSSL packet ciphers")
struct PacketAEADContextTests {
    @Test(arguments: [PacketAEADContext.Algorithm.aes128GCM, .aes256GCM, .chaCha20Poly1305])
    func sealsAndOpensInPlace(algorithm: PacketAEADContext.Algorithm) throws {
        let key = (0..<algorithm.keyLength).map { UInt8($0 &* 7) }
        let context = try #require(PacketAEADContext(algorithm: algorithm, key: key))
        let original = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var text = original
        var tag = [UInt8](repeating: 0, count: 16)
        let nonce = [UInt8](repeating: 9, count: 12)
        let aad: [UInt8] = [0x40, 1, 2, 3]
        let sealed = text.withUnsafeMutableBytes { text in
            tag.withUnsafeMutableBytes { tag in
                nonce.withUnsafeBytes { nonce in
                    aad.withUnsafeBytes { context.seal(text, tag: tag, nonce: nonce, aad: $0) }
                }
            }
        }
        #expect(sealed)
        #expect(text != original)
        func open(_ ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) -> [UInt8]? {
            var plaintext = [UInt8](repeating: 0xee, count: ciphertext.count)
            let opened = ciphertext.withUnsafeBytes { ciphertext in
                plaintext.withUnsafeMutableBytes { plaintext in
                    tag.withUnsafeBytes { tag in
                        nonce.withUnsafeBytes { nonce in
                            aad.withUnsafeBytes { context.open(ciphertext, into: plaintext, tag: tag, nonce: nonce, aad: $0) }
                        }
                    }
                }
            }
            if !opened { #expect(plaintext.allSatisfy { $0 == 0 }) }   // no partial output on failure
            return opened ? plaintext : nil
        }
        #expect(open(text, tag: tag, aad: aad) == original)
        var forged = tag
        forged[0] ^= 1
        #expect(open(text, tag: forged, aad: aad) == nil)
        #expect(open(text, tag: tag, aad: [0x41, 1, 2, 3]) == nil)
    }

    @Test func refusesKeysOfTheWrongLength() {
        #expect(PacketAEADContext(algorithm: .aes128GCM, key: [UInt8](repeating: 1, count: 32)) == nil)
        #expect(PacketAEADContext(algorithm: .chaCha20Poly1305, key: [UInt8](repeating: 1, count: 16)) == nil)
        #expect(HeaderProtectionContext(algorithm: .aes256, key: [UInt8](repeating: 1, count: 16)) == nil)
        #expect(HeaderProtectionContext(algorithm: .chaCha20, key: []) == nil)
    }

    /// RFC 9001 Appendix A.2/A.3: the client Initial's header-protection key and sample give mask 437b9aec36.
    @Test func aesHeaderProtectionMatchesRFC9001() throws {
        let key: [UInt8] = [0x9f, 0x50, 0x44, 0x9e, 0x04, 0xa0, 0xe8, 0x10, 0x28, 0x3a, 0x1e, 0x99, 0x33, 0xad, 0xed, 0xd2]
        let sample: [UInt8] = [0xd1, 0xb1, 0xc9, 0x8d, 0xd7, 0x68, 0x9f, 0xb8, 0xec, 0x11, 0xd2, 0x42, 0xb1, 0x23, 0xdc, 0x9b]
        let context = try #require(HeaderProtectionContext(algorithm: .aes128, key: key))
        var mask = [UInt8](repeating: 0, count: 5)
        sample.withUnsafeBytes { sample in mask.withUnsafeMutableBytes { context.mask(sample: sample, into: $0) } }
        #expect(mask == [0x43, 0x7b, 0x9a, 0xec, 0x36])
    }

    /// RFC 9001 Appendix A.5: ChaCha20 header protection, mask aefefe7d03.
    @Test func chaChaHeaderProtectionMatchesRFC9001() throws {
        let key: [UInt8] = [0x25, 0xa2, 0x82, 0xb9, 0xe8, 0x2f, 0x06, 0xf2, 0x1f, 0x48, 0x89, 0x17, 0xa4, 0xfc, 0x8f, 0x1b,
                            0x73, 0x57, 0x36, 0x85, 0x60, 0x85, 0x97, 0xd0, 0xef, 0xcb, 0x07, 0x6b, 0x0a, 0xb7, 0xa7, 0xa4]
        let sample: [UInt8] = [0x5e, 0x5c, 0xd5, 0x5c, 0x41, 0xf6, 0x90, 0x80, 0x57, 0x5d, 0x79, 0x99, 0xc2, 0x5a, 0x5b, 0xfb]
        let context = try #require(HeaderProtectionContext(algorithm: .chaCha20, key: key))
        var mask = [UInt8](repeating: 0, count: 5)
        sample.withUnsafeBytes { sample in mask.withUnsafeMutableBytes { context.mask(sample: sample, into: $0) } }
        #expect(mask == [0xae, 0xfe, 0xfe, 0x7d, 0x03])
    }
}
