internal import CNIOBoringSSL

/// The TLS 1.3 encryption levels that QUIC maps onto packet number spaces (RFC 9001 §4.1.4).
///
/// Raw values equal BoringSSL's `ssl_encryption_level_t`, so conversions are a cast.
public enum TLSEncryptionLevel: Int, Sendable, Hashable, CaseIterable {
    /// Initial packets (ClientHello, ServerHello).
    case initial
    /// 0-RTT packets. No CRYPTO data is ever carried at this level in QUIC (RFC 9001 §4.1.4).
    case earlyData
    /// Handshake packets (EncryptedExtensions … Finished).
    case handshake
    /// 1-RTT packets (post-handshake messages such as NewSessionTicket).
    case application
}

// MARK: - BoringSSL bridging

extension TLSEncryptionLevel {
    /// Maps BoringSSL's level; `nil` for a value outside the four defined ones.
    init?(_ level: ssl_encryption_level_t) {
        switch level {
        case ssl_encryption_initial: self = .initial
        case ssl_encryption_early_data: self = .earlyData
        case ssl_encryption_handshake: self = .handshake
        case ssl_encryption_application: self = .application
        default: return nil
        }
    }

    /// The BoringSSL equivalent of this level.
    var boringSSLLevel: ssl_encryption_level_t {
        switch self {
        case .initial: ssl_encryption_initial
        case .earlyData: ssl_encryption_early_data
        case .handshake: ssl_encryption_handshake
        case .application: ssl_encryption_application
        }
    }
}
