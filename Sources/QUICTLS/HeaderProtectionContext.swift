internal import CNIOBoringSSL

/// QUIC header-protection mask generation (RFC 9001 §5.4.3 AES, §5.4.4 ChaCha20) with the key prepared
/// once, through BoringSSL's block and stream primitives.
///
/// swift-crypto's `AES.permute` expands the AES key schedule on every call (once per packet sent and
/// received); here `AES_set_encrypt_key` runs once per key. Nothing changes the context after `init`, so it
/// is `Sendable`.
public final class HeaderProtectionContext: @unchecked Sendable {
    public enum Algorithm: Sendable {
        case aes128
        case aes256
        case chaCha20
    }

    /// RFC 9001 §5.4.2: every QUIC v1 header-protection algorithm samples 16 bytes.
    public static let sampleLength = 16

    private enum Key {
        case aes(UnsafeMutablePointer<AES_KEY>)
        case chaCha20([UInt8])
    }

    private let key: Key

    /// Nil when the key length does not match the algorithm.
    public init?(algorithm: Algorithm, key: [UInt8]) {
        switch algorithm {
        case .aes128, .aes256:
            guard key.count == (algorithm == .aes128 ? 16 : 32) else { return nil }
            let schedule = UnsafeMutablePointer<AES_KEY>.allocate(capacity: 1)
            guard AES_set_encrypt_key(key, UInt32(key.count * 8), schedule) == 0 else {
                schedule.deallocate()
                return nil
            }
            self.key = .aes(schedule)
        case .chaCha20:
            guard key.count == 32 else { return nil }
            self.key = .chaCha20(key)
        }
    }

    deinit {
        if case .aes(let schedule) = key {
            // The schedule is key material: clear it before the memory is reused.
            schedule.update(repeating: AES_KEY(), count: 1)
            schedule.deallocate()
        }
    }

    /// The first five mask bytes for a 16-byte `sample`, written to `mask[0..<5]`.
    public func mask(sample: UnsafeRawBufferPointer, into mask: UnsafeMutableRawBufferPointer) {
        precondition(sample.count == Self.sampleLength && mask.count >= 5, "RFC 9001 §5.4.2 sizes")
        let sample8 = sample.baseAddress!.assumingMemoryBound(to: UInt8.self)
        switch key {
        case .aes(let schedule):
            // RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample).
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.sampleLength) { block in
                AES_encrypt(sample8, block.baseAddress!, schedule)
                mask.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(block)[0..<5]))
            }
        case .chaCha20(let key):
            // RFC 9001 §5.4.4: counter = sample[0..<4] little-endian, nonce = sample[4..<16],
            // mask = ChaCha20(hp_key, counter, nonce, {0,0,0,0,0}).
            let counter = UInt32(littleEndian: sample.loadUnaligned(as: UInt32.self))
            let zeros: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
            withUnsafeBytes(of: zeros) { zeros in
                key.withUnsafeBufferPointer { key in
                    CRYPTO_chacha_20(mask.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                     zeros.baseAddress!.assumingMemoryBound(to: UInt8.self), 5,
                                     key.baseAddress!, sample8 + 4, counter)
                }
            }
        }
    }
}
