import Testing
@testable import QUICCrypto

@Suite struct TokenSealerTests {
    static let key = [UInt8](0..<32)
    static let nonce = [UInt8](0xa0..<0xac)
    static let address = Array("198.51.100.7:4433".utf8)

    /// Known answer computed with Python `cryptography` 48 (OpenSSL AES-256-GCM).
    @Test func sealMatchesIndependentAES256GCM() throws {
        let sealer = try TokenSealer(key: Self.key)
        let token = sealer.seal(Array("retry-token".utf8), associatedData: Self.address, nonce: Self.nonce)
        #expect(token.hex == "a0a1a2a3a4a5a6a7a8a9aaab947d085f3ce676d00900e94a888b1499a11643581722d8b862ceb0")
    }

    @Test(arguments: [0, 1, 16, 300])
    func roundTrip(length: Int) throws {
        let sealer = try TokenSealer(key: Self.key)
        let plaintext = testPayload(count: length)
        let token = sealer.seal(plaintext, associatedData: Self.address, nonce: Self.nonce)
        #expect(token.count == plaintext.count + TokenSealer.overhead)
        #expect(Array(token.prefix(12)) == Self.nonce)
        #expect(try sealer.open(token, associatedData: Self.address) == plaintext)
    }

    @Test func wrongAssociatedDataFails() throws {
        let sealer = try TokenSealer(key: Self.key)
        let token = sealer.seal([1, 2, 3], associatedData: Self.address, nonce: Self.nonce)
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try sealer.open(token, associatedData: Array("198.51.100.8:4433".utf8))
        }
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try sealer.open(token, associatedData: [])
        }
    }

    @Test func tamperedTokenFails() throws {
        let sealer = try TokenSealer(key: Self.key)
        let token = sealer.seal(testPayload(count: 24), associatedData: Self.address, nonce: Self.nonce)
        for index in token.indices {  // nonce, ciphertext and tag alike
            var modified = token
            modified[index] ^= 0x04
            #expect(throws: QUICCryptoError.authenticationFailed, "byte \(index)") {
                _ = try sealer.open(modified, associatedData: Self.address)
            }
        }
        for length in [0, 12, TokenSealer.overhead - 1, token.count - 1] {
            #expect(throws: QUICCryptoError.authenticationFailed, "length \(length)") {
                _ = try sealer.open(Array(token.prefix(length)), associatedData: Self.address)
            }
        }
    }

    @Test func anotherKeyFails() throws {
        let token = try TokenSealer(key: Self.key).seal([9, 9], associatedData: [], nonce: Self.nonce)
        var otherKey = Self.key
        otherKey[31] ^= 1
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try TokenSealer(key: otherKey).open(token, associatedData: [])
        }
    }

    @Test func keyMustBe32Bytes() {
        for length in [0, 16, 31, 33, 64] {
            #expect(throws: QUICCryptoError.invalidSecret) {
                _ = try TokenSealer(key: [UInt8](repeating: 1, count: length))
            }
        }
    }
}
