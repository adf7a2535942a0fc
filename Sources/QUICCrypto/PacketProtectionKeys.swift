import Crypto

// MARK: - PacketProtectionKeys

/// Keys for one direction at one encryption level and key phase (RFC 9001 §5.1).
///
/// Everything a packet needs is derived once here — the AEAD `SymmetricKey`, the IV split into words for
/// the per-packet nonce XOR, and the header-protection key — so sealing and opening do no key schedule work.
public struct PacketProtectionKeys: Sendable {
    /// The cipher suite the keys belong to.
    public let suite: CipherSuite
    /// The traffic secret the keys were derived from (`suite.hashLength` bytes).
    public let secret: [UInt8]
    /// The AEAD key: HKDF-Expand-Label(secret, "quic key", "", key length).
    public let key: [UInt8]
    /// The AEAD IV: HKDF-Expand-Label(secret, "quic iv", "", 12).
    public let iv: [UInt8]
    /// The header-protection key: HKDF-Expand-Label(secret, "quic hp", "", key length). Unlike `key`
    /// and `iv` it survives key updates (RFC 9001 §6: "The header protection key is not updated").
    public let headerProtectionKey: [UInt8]

    let aead: PacketAEAD
    let headerProtection: HeaderProtection

    // MARK: - Derivation

    /// Derives "quic key", "quic iv" and "quic hp" from a traffic secret (RFC 9001 §5.1).
    ///
    /// - Throws: `.invalidSecret` when `secret` is not exactly `suite.hashLength` bytes.
    public init(secret: [UInt8], suite: CipherSuite) throws(QUICCryptoError) {
        guard secret.count == suite.hashLength else { throw .invalidSecret }
        self.init(validatedSecret: secret, suite: suite)
    }

    /// Derivation from a secret whose length was already checked (or produced by HKDF with the right length).
    init(validatedSecret secret: [UInt8], suite: CipherSuite) {
        let hp = HKDFLabel.expand(secret: secret, label: "quic hp", length: suite.keyLength, suite: suite)
        self.init(validatedSecret: secret, suite: suite, headerProtectionKey: hp,
                  headerProtection: HeaderProtection(suite: suite, key: hp))
    }

    private init(validatedSecret secret: [UInt8], suite: CipherSuite, headerProtectionKey: [UInt8],
                 headerProtection: HeaderProtection) {
        let key = HKDFLabel.expand(secret: secret, label: "quic key", length: suite.keyLength, suite: suite)
        let iv = HKDFLabel.expand(secret: secret, label: "quic iv", length: CipherSuite.ivLength, suite: suite)
        self.suite = suite
        self.secret = secret
        self.key = key
        self.iv = iv
        self.headerProtectionKey = headerProtectionKey
        self.aead = PacketAEAD(suite: suite, key: key, iv: iv)
        self.headerProtection = headerProtection
    }

    // MARK: - Key update

    /// RFC 9001 §6: the next key phase: secret' = HKDF-Expand-Label(secret, "quic ku", "", Hash.length);
    /// the header protection key is NOT updated (carry the old hp key over).
    public func nextKeyPhase() -> PacketProtectionKeys {
        let next = HKDFLabel.expand(secret: secret, label: "quic ku", length: suite.hashLength, suite: suite)
        return PacketProtectionKeys(validatedSecret: next, suite: suite, headerProtectionKey: headerProtectionKey,
                                    headerProtection: headerProtection)
    }
}
