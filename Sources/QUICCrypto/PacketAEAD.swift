import QUICTLS

// MARK: - PacketAEAD

/// The payload AEAD of one set of packet-protection keys (RFC 9001 §5.3): the key expanded once in a
/// BoringSSL context (`PacketAEADContext`), the IV kept as words so each packet only builds its 12-byte
/// nonce on the stack. Sealing and opening work in place, without allocating.
struct PacketAEAD: Sendable {
    let context: PacketAEADContext
    /// The IV as three big-endian words, so the nonce is two XORs away (RFC 9001 §5.3).
    let ivWords: (UInt32, UInt32, UInt32)

    init(suite: CipherSuite, key: [UInt8], iv: [UInt8]) {
        precondition(iv.count == CipherSuite.ivLength, "QUIC IVs are 12 bytes (RFC 9001 §5.3)")
        let algorithm: PacketAEADContext.Algorithm = switch suite {
        case .aes128GCMSHA256: .aes128GCM
        case .aes256GCMSHA384: .aes256GCM
        case .chacha20Poly1305SHA256: .chaCha20Poly1305
        }
        // Keys come from HKDF with the suite's key length, which BoringSSL accepts.
        guard let context = PacketAEADContext(algorithm: algorithm, key: key) else {
            preconditionFailure("AEAD key of \(key.count) bytes refused for \(suite)")
        }
        self.context = context
        func word(_ at: Int) -> UInt32 {
            UInt32(iv[at]) << 24 | UInt32(iv[at + 1]) << 16 | UInt32(iv[at + 2]) << 8 | UInt32(iv[at + 3])
        }
        self.ivWords = (word(0), word(4), word(8))
    }

    // MARK: - Nonce

    /// RFC 9001 §5.3: the 62-bit packet number, left-padded to the IV's 12 bytes, XORed with the IV.
    /// Returned as big-endian words laid out exactly as the 12 nonce bytes.
    func nonceWords(packetNumber: UInt64) -> (UInt32, UInt32, UInt32) {
        (ivWords.0.bigEndian,
         (ivWords.1 ^ UInt32(truncatingIfNeeded: packetNumber >> 32)).bigEndian,
         (ivWords.2 ^ UInt32(truncatingIfNeeded: packetNumber)).bigEndian)
    }

    // MARK: - Seal and open

    /// Encrypts `text` in place, authenticating `aad`, and writes the 16-byte tag to `tag`.
    func seal(_ text: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer, aad: UnsafeRawBufferPointer,
              packetNumber: UInt64) throws(QUICCryptoError) {
        let nonce = nonceWords(packetNumber: packetNumber)
        let sealed = withUnsafeBytes(of: nonce) { context.seal(text, tag: tag, nonce: $0, aad: aad) }
        guard sealed else { throw .internalFailure("AEAD seal failed") }
    }

    /// Decrypts `ciphertext` into `plaintext` (same length) if `tag` verifies over it and `aad`.
    ///
    /// - Throws: `.authenticationFailed` when the tag does not verify (RFC 9001 §5.5: drop the packet).
    func open(_ ciphertext: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer,
              tag: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, packetNumber: UInt64) throws(QUICCryptoError) {
        let nonce = nonceWords(packetNumber: packetNumber)
        let opened = withUnsafeBytes(of: nonce) {
            context.open(ciphertext, into: plaintext, tag: tag, nonce: $0, aad: aad)
        }
        guard opened else { throw .authenticationFailed }
    }
}
