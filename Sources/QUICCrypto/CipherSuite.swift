// MARK: - CipherSuite

/// TLS 1.3 cipher suites usable with QUIC (RFC 9001 §5.3); the raw value is the IANA code point.
///
/// `TLS_AES_128_CCM_SHA256` is deliberately absent: RFC 9001 §5.3 allows it but BoringSSL does not offer
/// it for QUIC, so it can never be negotiated by our handshake.
public enum CipherSuite: UInt16, Sendable, CaseIterable {
    case aes128GCMSHA256 = 0x1301
    case aes256GCMSHA384 = 0x1302
    case chacha20Poly1305SHA256 = 0x1303

    /// Length in bytes of the AEAD key and of the header-protection key (RFC 9001 §5.1, §5.4).
    public var keyLength: Int {
        switch self {
        case .aes128GCMSHA256: 16
        case .aes256GCMSHA384, .chacha20Poly1305SHA256: 32
        }
    }

    /// Output length of the suite's hash, which is also the length of every traffic secret (RFC 8446 §7.1).
    public var hashLength: Int {
        switch self {
        case .aes128GCMSHA256, .chacha20Poly1305SHA256: 32
        case .aes256GCMSHA384: 48
        }
    }

    /// Length of the AEAD nonce and of the "quic iv" (RFC 9001 §5.3: all QUIC AEADs use 12-byte nonces).
    public static let ivLength = 12

    /// Length of the AEAD authentication tag that follows every protected payload (RFC 9001 §5.3).
    public static let tagLength = 16

    // MARK: - Usage limits

    /// RFC 9001 §6.6: the number of packets that may be *sealed* with one key before a key update is required.
    /// ChaCha20-Poly1305's limit exceeds the packet-number space, so it is reported as `UInt64.max`.
    public var confidentialityLimit: UInt64 {
        switch self {
        case .aes128GCMSHA256, .aes256GCMSHA384: 1 << 23
        case .chacha20Poly1305SHA256: .max
        }
    }

    /// RFC 9001 §6.6: the number of packets that may *fail authentication* with one key before the
    /// connection must be closed with AEAD_LIMIT_REACHED.
    public var integrityLimit: UInt64 {
        switch self {
        case .aes128GCMSHA256, .aes256GCMSHA384: 1 << 52
        case .chacha20Poly1305SHA256: 1 << 36
        }
    }
}
