import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// MARK: - TokenSealer

/// AEAD-sealed tokens (AES-256-GCM with a random 12-byte nonce given by the caller, since randomness is an
/// input): used by the endpoint for Retry and NEW_TOKEN tokens. Format: nonce(12) || ciphertext || tag(16).
///
/// RFC 9000 §8.1.1 leaves the token format to the server; sealing makes it unforgeable and opaque, and the
/// associated data (e.g. the client's address) binds it to where it was issued. Several relays can share the
/// key (loaded from a file) so a token issued by one is accepted by another.
public struct TokenSealer: Sendable {
    /// Length of the key (AES-256).
    public static let keyLength = 32
    /// Length of the nonce that starts every token.
    public static let nonceLength = 12
    /// Bytes a sealed token adds to its plaintext: nonce + tag.
    public static let overhead = nonceLength + CipherSuite.tagLength

    private let key: SymmetricKey

    /// - Throws: `.invalidSecret` unless `key` is exactly 32 bytes.
    public init(key: [UInt8]) throws(QUICCryptoError) {
        guard key.count == Self.keyLength else { throw .invalidSecret }
        self.key = SymmetricKey(data: key)
    }

    /// Seals `plaintext` bound to `associatedData`. `nonce` must be 12 fresh random bytes (the caller's RNG);
    /// any other length is a programming error and traps.
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8], nonce: [UInt8]) -> [UInt8] {
        precondition(nonce.count == Self.nonceLength, "token nonces are 12 bytes")
        do {
            let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce),
                                       authenticating: associatedData)
            var token: [UInt8] = []
            token.reserveCapacity(Self.overhead + plaintext.count)
            token.append(contentsOf: nonce)
            token.append(contentsOf: box.ciphertext)
            token.append(contentsOf: box.tag)
            return token
        } catch {
            // The key (32 bytes) and nonce (12 bytes) were validated, the only inputs that can fail.
            preconditionFailure("AES-256-GCM seal with validated key and nonce failed: \(error)")
        }
    }

    /// Opens a token sealed by `seal` with the same key and associated data. Total on peer input.
    ///
    /// - Throws: `.authenticationFailed` when the token is too short, was tampered with, was sealed under
    ///   another key, or `associatedData` differs.
    public func open(_ token: [UInt8], associatedData: [UInt8]) throws(QUICCryptoError) -> [UInt8] {
        guard token.count >= Self.overhead else { throw .authenticationFailed }
        do {
            let box = try AES.GCM.SealedBox(combined: token)
            return [UInt8](try AES.GCM.open(box, using: key, authenticating: associatedData))
        } catch {
            throw .authenticationFailed
        }
    }
}
