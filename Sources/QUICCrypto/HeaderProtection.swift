import QUICTLS

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

/// Header-protection mask generation (RFC 9001 §5.4.3 AES, §5.4.4 ChaCha20) with the key prepared once
/// (`HeaderProtectionContext`).
struct HeaderProtection: Sendable {
    /// RFC 9001 §5.4.2: the sample starts 4 bytes after the start of the Packet Number field.
    static let sampleOffset = 4
    /// RFC 9001 §5.4.2: every QUIC v1 header-protection algorithm samples 16 bytes.
    static let sampleLength = HeaderProtectionContext.sampleLength

    let context: HeaderProtectionContext

    init(suite: CipherSuite, key: [UInt8]) {
        let algorithm: HeaderProtectionContext.Algorithm = switch suite {
        case .aes128GCMSHA256: .aes128
        case .aes256GCMSHA384: .aes256
        case .chacha20Poly1305SHA256: .chaCha20
        }
        // Keys come from HKDF with the suite's key length, which the context accepts.
        guard let context = HeaderProtectionContext(algorithm: algorithm, key: key) else {
            preconditionFailure("header-protection key of \(key.count) bytes refused for \(suite)")
        }
        self.context = context
    }

    /// Computes the mask from a 16-byte ciphertext sample.
    func mask(sample: UnsafeRawBufferPointer) -> HeaderProtectionMask {
        var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { context.mask(sample: sample, into: $0) }
        return HeaderProtectionMask(
            first: bytes.0,
            packetNumber: UInt32(bytes.1) << 24 | UInt32(bytes.2) << 16 | UInt32(bytes.3) << 8 | UInt32(bytes.4))
    }
}
