internal import CNIOBoringSSL

/// A QUIC packet-protection AEAD (RFC 9001 §5.3) keyed once, sealing and opening in place with BoringSSL's
/// `EVP_AEAD` API.
///
/// swift-crypto's `AES.GCM`/`ChaChaPoly` set the key up again and allocate `Data` for every packet; this
/// context keeps the expanded key for the life of the packet keys (DESIGN.md §2 allows `EVP_AEAD` in place
/// inside `QUICTLS` for exactly this). BoringSSL documents seal and open as safe to call concurrently on one
/// context, and nothing changes it after `init`, so the class is `Sendable`.
public final class PacketAEADContext: @unchecked Sendable {
    public enum Algorithm: Sendable {
        case aes128GCM
        case aes256GCM
        case chaCha20Poly1305

        /// Key length in bytes.
        public var keyLength: Int {
            switch self {
            case .aes128GCM: 16
            case .aes256GCM, .chaCha20Poly1305: 32
            }
        }
    }

    /// Every QUIC v1 AEAD appends a 16-byte tag (RFC 9001 §5.3).
    public static let tagLength = 16
    /// Every QUIC v1 AEAD takes a 12-byte nonce (RFC 9001 §5.3).
    public static let nonceLength = 12

    private let context: UnsafeMutablePointer<EVP_AEAD_CTX>

    /// Nil when the key length does not match the algorithm (or BoringSSL refuses the key).
    public init?(algorithm: Algorithm, key: [UInt8]) {
        guard key.count == algorithm.keyLength else { return nil }
        let aead: OpaquePointer? = switch algorithm {
        case .aes128GCM: EVP_aead_aes_128_gcm()
        case .aes256GCM: EVP_aead_aes_256_gcm()
        case .chaCha20Poly1305: EVP_aead_chacha20_poly1305()
        }
        let context = UnsafeMutablePointer<EVP_AEAD_CTX>.allocate(capacity: 1)
        let initialised = key.withUnsafeBufferPointer {
            EVP_AEAD_CTX_init(context, aead, $0.baseAddress, $0.count, Self.tagLength, nil)
        }
        guard initialised == 1 else {
            context.deallocate()
            return nil
        }
        self.context = context
    }

    deinit {
        EVP_AEAD_CTX_cleanup(context)
        context.deallocate()
    }

    /// Encrypts `text` in place and writes the 16-byte tag to `tag`, authenticating `aad`.
    /// False only for lengths BoringSSL refuses (a nonce that is not 12 bytes, a tag buffer under 16 bytes).
    public func seal(_ text: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer,
                     nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer) -> Bool {
        guard tag.count >= Self.tagLength, nonce.count == Self.nonceLength else { return false }
        var tagLength = 0
        let text8 = text.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let sealed = EVP_AEAD_CTX_seal_scatter(
            context, text8, tag.baseAddress?.assumingMemoryBound(to: UInt8.self), &tagLength, tag.count,
            nonce.baseAddress?.assumingMemoryBound(to: UInt8.self), nonce.count, text8, text.count, nil, 0,
            aad.baseAddress?.assumingMemoryBound(to: UInt8.self), aad.count)
        return sealed == 1 && tagLength == Self.tagLength
    }

    /// Decrypts `ciphertext` into `plaintext` (same length; the two may be the same memory, not otherwise
    /// overlap) if `tag` verifies over it and `aad`. False when authentication fails: `plaintext` is then
    /// zeroed (RFC 9001 §5.5: the packet is dropped).
    public func open(_ ciphertext: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer,
                     tag: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer) -> Bool {
        guard plaintext.count == ciphertext.count, tag.count == Self.tagLength, nonce.count == Self.nonceLength else {
            return false
        }
        return EVP_AEAD_CTX_open_gather(
            context, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self),
            nonce.baseAddress?.assumingMemoryBound(to: UInt8.self), nonce.count,
            ciphertext.baseAddress?.assumingMemoryBound(to: UInt8.self), ciphertext.count,
            tag.baseAddress?.assumingMemoryBound(to: UInt8.self), tag.count,
            aad.baseAddress?.assumingMemoryBound(to: UInt8.self), aad.count) == 1
    }
}
