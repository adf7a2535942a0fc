import Testing
@testable import QUICCrypto

@Suite struct HKDFLabelTests {
    /// RFC 9001 Appendix A.1 prints the serialized HkdfLabel "info" for each label.
    @Test(arguments: [
        ("client in", 32, "00200f746c73313320636c69656e7420696e00"),
        ("server in", 32, "00200f746c7331332073657276657220696e00"),
        ("quic key", 16, "00100e746c7331332071756963206b657900"),
        ("quic iv", 12, "000c0d746c733133207175696320697600"),
        ("quic hp", 16, "00100d746c733133207175696320687000"),
    ])
    func serializedLabelMatchesRFC9001AppendixA1(label: String, length: Int, expected: String) throws {
        #expect(HKDFLabel.hkdfLabel(label: label, length: length) == (try [UInt8](hex: expected)))
    }

    @Test(arguments: CipherSuite.allCases, [1, 12, 16, 32, 48, 100])
    func outputHasTheRequestedLength(suite: CipherSuite, length: Int) {
        let secret = [UInt8](repeating: 0x5a, count: suite.hashLength)
        #expect(HKDFLabel.expand(secret: secret, label: "quic key", length: length, suite: suite).count == length)
    }

    @Test func labelAndLengthChangeTheOutput() {
        let secret = [UInt8](repeating: 0x01, count: 32)
        let key = HKDFLabel.expand(secret: secret, label: "quic key", length: 16, suite: .aes128GCMSHA256)
        let hp = HKDFLabel.expand(secret: secret, label: "quic hp", length: 16, suite: .aes128GCMSHA256)
        let longer = HKDFLabel.expand(secret: secret, label: "quic key", length: 32, suite: .aes128GCMSHA256)
        #expect(key != hp)
        // The length is part of the label, so a longer output is not an extension of the shorter one.
        #expect(Array(longer.prefix(16)) != key)
    }

    /// SHA-384 (TLS_AES_256_GCM_SHA384) values computed independently with Python's hmac/hashlib
    /// (HKDF-Expand written out per RFC 5869) for the secret 0x00...0x2f.
    @Test func sha384SuiteUsesSHA384() throws {
        let secret = [UInt8](0..<48)
        let suite = CipherSuite.aes256GCMSHA384
        #expect(HKDFLabel.expand(secret: secret, label: "quic key", length: 32, suite: suite)
            == (try [UInt8](hex: "95c517eea81b6469ff8f27a065fd04c1a27b3023591b93e273a9df5f921d1f68")))
        #expect(HKDFLabel.expand(secret: secret, label: "quic iv", length: 12, suite: suite)
            == (try [UInt8](hex: "a8d8316bf5bb0bbfa74cbf17")))
    }
}
