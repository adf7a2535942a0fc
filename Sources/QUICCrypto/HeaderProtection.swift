import Crypto
import CryptoExtras
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// MARK: - HeaderProtectionMask

/// The five mask bytes header protection uses (RFC 9001 §5.4.1): `first` for the first byte, then up to
/// four bytes for the packet number, packed big-endian so `mask[1]` is the most significant byte.
struct HeaderProtectionMask: Sendable {
    let first: UInt8
    let packetNumber: UInt32

    /// `mask[1 + index]` of RFC 9001 §5.4.1, for packet-number byte `index` (0...3).
    func packetNumberByte(_ index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: packetNumber >> (24 - 8 * index))
    }
}

// MARK: - HeaderProtection

/// Header-protection mask generation (RFC 9001 §5.4.3 AES, §5.4.4 ChaCha20) with a prepared key.
struct HeaderProtection: Sendable {
    enum Cipher: Sendable {
        case aes
        case chaCha20
    }

    /// RFC 9001 §5.4.2: the sample starts 4 bytes after the start of the Packet Number field.
    static let sampleOffset = 4
    /// RFC 9001 §5.4.2: every QUIC v1 header-protection algorithm samples 16 bytes.
    static let sampleLength = 16

    let cipher: Cipher
    let key: SymmetricKey

    init(suite: CipherSuite, key: [UInt8]) {
        switch suite {
        case .aes128GCMSHA256, .aes256GCMSHA384: self.cipher = .aes
        case .chacha20Poly1305SHA256: self.cipher = .chaCha20
        }
        self.key = SymmetricKey(data: key)
    }

    /// Computes the mask from a 16-byte ciphertext sample.
    func mask(sample: UnsafeRawBufferPointer) throws(QUICCryptoError) -> HeaderProtectionMask {
        precondition(sample.count == Self.sampleLength)
        switch cipher {
        case .aes:
            // RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample). The block lives on the stack.
            let result: Result<HeaderProtectionMask, QUICCryptoError> =
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.sampleLength) { block in
                    var block = block
                    _ = block.initialize(from: sample)
                    do {
                        try AES.permute(&block, key: key)
                    } catch {
                        return .failure(.internalFailure("AES header protection: \(error)"))
                    }
                    return .success(Self.mask(fromBytes: UnsafeRawBufferPointer(block)))
                }
            return try result.get()
        case .chaCha20:
            // RFC 9001 §5.4.4: counter = sample[0..<4] little-endian, nonce = sample[4..<16],
            // mask = ChaCha20(hp_key, counter, nonce, {0,0,0,0,0}).
            let counterValue = UInt32(littleEndian: sample.loadUnaligned(as: UInt32.self))
            do {
                let counter = try Insecure.ChaCha20CTR.Counter(offset: counterValue)
                let nonce = try Insecure.ChaCha20CTR.Nonce(data: UnsafeRawBufferPointer(rebasing: sample[4..<16]))
                let stream = try Insecure.ChaCha20CTR.encrypt(Self.zeros, using: key, counter: counter, nonce: nonce)
                guard stream.count == Self.zeros.count else {
                    throw QUICCryptoError.internalFailure("ChaCha20 header protection: short key stream")
                }
                return stream.withUnsafeBytes { Self.mask(fromBytes: $0) }
            } catch let error as QUICCryptoError {
                throw error
            } catch {
                throw .internalFailure("ChaCha20 header protection: \(error)")
            }
        }
    }

    // MARK: - Internals

    private static let zeros: [UInt8] = [0, 0, 0, 0, 0]

    /// Packs the first five bytes of a mask source.
    private static func mask(fromBytes bytes: UnsafeRawBufferPointer) -> HeaderProtectionMask {
        HeaderProtectionMask(
            first: bytes[0],
            packetNumber: UInt32(bytes[1]) << 24 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 8 | UInt32(bytes[4]))
    }
}
