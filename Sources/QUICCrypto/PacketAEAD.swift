import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// MARK: - PacketAEAD

/// The payload AEAD of one set of packet-protection keys (RFC 9001 §5.3), with the key and IV prepared
/// once so that each packet only builds its 12-byte nonce on the stack.
struct PacketAEAD: Sendable {
    enum Algorithm: Sendable {
        case aesGCM
        case chaChaPoly
    }

    let algorithm: Algorithm
    let key: SymmetricKey
    /// The IV as three big-endian words, so the nonce is two XORs away (RFC 9001 §5.3).
    let ivWords: (UInt32, UInt32, UInt32)

    init(suite: CipherSuite, key: [UInt8], iv: [UInt8]) {
        precondition(iv.count == CipherSuite.ivLength, "QUIC IVs are 12 bytes (RFC 9001 §5.3)")
        switch suite {
        case .aes128GCMSHA256, .aes256GCMSHA384: self.algorithm = .aesGCM
        case .chacha20Poly1305SHA256: self.algorithm = .chaChaPoly
        }
        self.key = SymmetricKey(data: key)
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

    /// Encrypts `plaintext`, authenticating `aad`; returns the ciphertext (same length) and the 16-byte tag.
    func seal(plaintext: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
              packetNumber: UInt64) throws(QUICCryptoError) -> (ciphertext: Data, tag: Data) {
        let words = nonceWords(packetNumber: packetNumber)
        do {
            switch algorithm {
            case .aesGCM:
                let nonce = try withUnsafeBytes(of: words) { try AES.GCM.Nonce(data: $0) }
                let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
                return (box.ciphertext, box.tag)
            case .chaChaPoly:
                let nonce = try withUnsafeBytes(of: words) { try ChaChaPoly.Nonce(data: $0) }
                let box = try ChaChaPoly.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
                return (box.ciphertext, box.tag)
            }
        } catch {
            throw .internalFailure("AEAD seal failed: \(error)")
        }
    }

    /// Decrypts `ciphertext` and checks `tag` over it and `aad`.
    ///
    /// - Throws: `.authenticationFailed` when the tag does not verify (RFC 9001 §5.5: drop the packet).
    func open(ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
              packetNumber: UInt64) throws(QUICCryptoError) -> Data {
        let words = nonceWords(packetNumber: packetNumber)
        switch algorithm {
        case .aesGCM:
            let box: AES.GCM.SealedBox
            do {
                let nonce = try withUnsafeBytes(of: words) { try AES.GCM.Nonce(data: $0) }
                box = try AES.GCM.SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
            } catch {
                throw .internalFailure("AES-GCM sealed box: \(error)")
            }
            do {
                return try AES.GCM.open(box, using: key, authenticating: aad)
            } catch {
                throw .authenticationFailed
            }
        case .chaChaPoly:
            let box: ChaChaPoly.SealedBox
            do {
                let nonce = try withUnsafeBytes(of: words) { try ChaChaPoly.Nonce(data: $0) }
                box = try ChaChaPoly.SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
            } catch {
                throw .internalFailure("ChaCha20-Poly1305 sealed box: \(error)")
            }
            do {
                return try ChaChaPoly.open(box, using: key, authenticating: aad)
            } catch {
                throw .authenticationFailed
            }
        }
    }
}
