internal import CNIOBoringSSL

/// A failure of the TLS handshake or of the TLS configuration.
///
/// RFC 9001 §4.8: a TLS alert is carried in a CONNECTION_CLOSE of type CRYPTO_ERROR, `0x100 + alert`.
/// Failures that BoringSSL did not turn into an alert map to INTERNAL_ERROR (RFC 9000 §20.1).
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// The TLS alert description (RFC 8446 §6), when BoringSSL raised one.
    public var alert: UInt8?
    /// What went wrong: BoringSSL's error queue and certificate verification result, or a configuration
    /// problem naming the file or setting. Never contains key material.
    public var message: String

    /// Creates an error; `alert` is the TLS alert description if there is one.
    public init(alert: UInt8? = nil, message: String) {
        self.alert = alert
        self.message = message
    }

    /// The QUIC transport error code for CONNECTION_CLOSE: CRYPTO_ERROR `0x100 + alert` (RFC 9001 §4.8),
    /// or INTERNAL_ERROR `0x1` when there is no alert.
    public var quicErrorCode: UInt64 {
        guard let alert else { return 0x1 }
        return 0x100 + UInt64(alert)
    }

    public var description: String {
        guard let alert else { return "TLS error: \(message)" }
        let name = String(cString: SSL_alert_desc_string_long(Int32(alert)))
        return "TLS error (alert \(alert) \(name)): \(message)"
    }
}

// MARK: - BoringSSL error queue

extension TLSError {
    /// Builds an error from `context`, an optional alert, and everything on this thread's BoringSSL error
    /// queue (which it empties).
    static func drainingErrorQueue(_ context: String, alert: UInt8? = nil) -> TLSError {
        var parts = [context]
        parts.append(contentsOf: drainErrorQueue())
        return TLSError(alert: alert, message: parts.joined(separator: ": "))
    }

    /// Pops every pending error of this thread's BoringSSL queue as a readable string.
    static func drainErrorQueue() -> [String] {
        var lines: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            let line = buffer.withUnsafeMutableBufferPointer { pointer -> String in
                guard let base = pointer.baseAddress else { return "error \(code)" }
                ERR_error_string_n(code, base, pointer.count)
                return String(cString: base)
            }
            lines.append(line)
        }
        return lines
    }
}
