import Crypto

// MARK: - HKDFLabel

/// HKDF-Expand-Label (RFC 8446 §7.1) with the "tls13 " prefix and an empty context, for the suite's hash.
///
/// QUIC derives every packet-protection key this way (RFC 9001 §5.1): "quic key", "quic iv", "quic hp",
/// "quic ku", and the Initial secrets "client in" / "server in" (RFC 9001 §5.2).
public enum HKDFLabel {
    /// Expands `secret` (used as the HKDF pseudo-random key) into `length` bytes labelled `label`.
    ///
    /// `label` and `length` are protocol constants chosen by the caller, never peer input: a label longer
    /// than 249 bytes or a length beyond 255 hash blocks violates RFC 8446 §7.1 / RFC 5869 §2.3 and traps.
    public static func expand(secret: [UInt8], label: String, length: Int, suite: CipherSuite) -> [UInt8] {
        let info = hkdfLabel(label: label, length: length)
        switch suite {
        case .aes128GCMSHA256, .chacha20Poly1305SHA256:
            return bytes(of: HKDF<SHA256>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length))
        case .aes256GCMSHA384:
            return bytes(of: HKDF<SHA384>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length))
        }
    }

    // MARK: - Internals

    /// The serialized `HkdfLabel` structure of RFC 8446 §7.1:
    /// `uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255> = ""`.
    static func hkdfLabel(label: String, length: Int) -> [UInt8] {
        let fullLabel = Array("tls13 ".utf8) + Array(label.utf8)
        precondition(fullLabel.count <= 255, "HKDF-Expand-Label: label too long (RFC 8446 §7.1)")
        precondition(length >= 0 && length <= Int(UInt16.max), "HKDF-Expand-Label: length out of range")
        var info: [UInt8] = []
        info.reserveCapacity(2 + 1 + fullLabel.count + 1)
        info.append(UInt8(truncatingIfNeeded: length >> 8))
        info.append(UInt8(truncatingIfNeeded: length))
        info.append(UInt8(truncatingIfNeeded: fullLabel.count))
        info.append(contentsOf: fullLabel)
        info.append(0)  // empty context
        return info
    }

    static func bytes(of key: SymmetricKey) -> [UInt8] {
        key.withUnsafeBytes { Array($0) }
    }
}
