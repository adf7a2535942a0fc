// MARK: - QUICCryptoError

/// Errors of the packet-protection layer.
///
/// None of these is by itself a connection error: RFC 9001 §5.5 says a packet that fails to unprotect is
/// dropped. The connection layer counts `authenticationFailed` against the suite's integrity limit
/// (RFC 9001 §6.6) and decides what else to do.
public enum QUICCryptoError: Error, Hashable, Sendable {
    /// AEAD open failed (wrong key, tampered header, payload or tag): the packet is dropped.
    case authenticationFailed
    /// The packet is too short to hold the header-protection sample (RFC 9001 §5.4.2) or the AEAD tag,
    /// or its stated end lies beyond the received bytes.
    case packetTooShort
    /// A secret or key of the wrong length for the cipher suite.
    case invalidSecret
    /// A misuse by the caller (inconsistent offsets or packet-number length) or an unexpected failure of
    /// the underlying crypto library; the string says which.
    case internalFailure(String)
}
