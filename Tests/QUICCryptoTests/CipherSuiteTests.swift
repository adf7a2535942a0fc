import Testing
@testable import QUICCrypto

@Suite struct CipherSuiteTests {
    @Test func rawValuesAreTheIANACodePoints() {
        #expect(CipherSuite.aes128GCMSHA256.rawValue == 0x1301)
        #expect(CipherSuite.aes256GCMSHA384.rawValue == 0x1302)
        #expect(CipherSuite.chacha20Poly1305SHA256.rawValue == 0x1303)
        // TLS_AES_128_CCM_SHA256 and unknown code points are not QUIC suites we can negotiate.
        #expect(CipherSuite(rawValue: 0x1304) == nil)
        #expect(CipherSuite(rawValue: 0x1305) == nil)
        #expect(CipherSuite.allCases.count == 3)
    }

    @Test func keyAndHashLengths() {
        #expect(CipherSuite.aes128GCMSHA256.keyLength == 16)
        #expect(CipherSuite.aes256GCMSHA384.keyLength == 32)
        #expect(CipherSuite.chacha20Poly1305SHA256.keyLength == 32)
        #expect(CipherSuite.aes128GCMSHA256.hashLength == 32)
        #expect(CipherSuite.aes256GCMSHA384.hashLength == 48)
        #expect(CipherSuite.chacha20Poly1305SHA256.hashLength == 32)
        #expect(CipherSuite.ivLength == 12)
        #expect(CipherSuite.tagLength == 16)
    }

    /// RFC 9001 §6.6.
    @Test func usageLimits() {
        #expect(CipherSuite.aes128GCMSHA256.confidentialityLimit == 8_388_608)
        #expect(CipherSuite.aes256GCMSHA384.confidentialityLimit == 8_388_608)
        #expect(CipherSuite.chacha20Poly1305SHA256.confidentialityLimit == .max)
        #expect(CipherSuite.aes128GCMSHA256.integrityLimit == 1 << 52)
        #expect(CipherSuite.aes256GCMSHA384.integrityLimit == 1 << 52)
        #expect(CipherSuite.chacha20Poly1305SHA256.integrityLimit == 68_719_476_736)
    }
}
