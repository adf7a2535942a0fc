/// What a ``TLSSession`` asks the QUIC connection to do, pulled with ``TLSSession/pollOutput()``.
public enum TLSOutput: Sendable, Equatable {
    /// Bytes to send in CRYPTO frames at that level (RFC 9001 §4.1.3).
    case handshakeData(TLSEncryptionLevel, [UInt8])
    /// Keys for reading packets at that level: derive packet and header protection keys with the
    /// cipher suite's hash (RFC 9001 §5.1). `cipherSuite` is the IANA id, e.g. 0x1301.
    case readSecret(TLSEncryptionLevel, cipherSuite: UInt16, secret: [UInt8])
    /// Keys for writing packets at that level.
    case writeSecret(TLSEncryptionLevel, cipherSuite: UInt16, secret: [UInt8])
    /// The TLS handshake is complete (RFC 9001 §4.1.1); peer properties are final.
    case handshakeComplete
}
