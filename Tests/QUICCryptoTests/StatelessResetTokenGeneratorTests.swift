import Testing
@testable import QUICCrypto

@Suite struct StatelessResetTokenGeneratorTests {
    /// RFC 4231 test case 2 (HMAC-SHA-256, key "Jefe"), truncated to 16 bytes.
    @Test func tokenIsTruncatedHMACSHA256() throws {
        let generator = StatelessResetTokenGenerator(key: Array("Jefe".utf8))
        #expect(generator.token(for: Array("what do ya want for nothing?".utf8))
            == (try [UInt8](hex: "5bdcc146bf60754e6a042426089575c7")))
    }

    @Test func tokensAreStablePerConnectionIDAndKey() {
        let key = [UInt8](repeating: 0x5c, count: 32)
        let cid: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let generator = StatelessResetTokenGenerator(key: key)
        let token = generator.token(for: cid)
        #expect(token.count == StatelessResetTokenGenerator.tokenLength)
        // Another instance with the same key (a restarted relay) derives the same token.
        #expect(StatelessResetTokenGenerator(key: key).token(for: cid) == token)
        #expect(generator.token(for: [1, 2, 3, 4, 5, 6, 7, 9]) != token)
        #expect(generator.token(for: []) != token)
        var otherKey = key
        otherKey[0] ^= 1
        #expect(StatelessResetTokenGenerator(key: otherKey).token(for: cid) != token)
    }
}
