// MARK: - TransportErrorCode

/// A QUIC transport error code (RFC 9000 §20.1), carried in CONNECTION_CLOSE frames of type 0x1c.
///
/// A struct rather than an enum because the space is open: CRYPTO_ERROR occupies 0x0100–0x01ff
/// (RFC 9001 §4.8) and peers may send codes we do not know, which must still round-trip.
public struct TransportErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as carried on the wire (a variable-length integer).
    public var rawValue: UInt64

    /// Wraps any code, known or not.
    @inlinable
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    // MARK: - RFC 9000 §20.1 codes

    /// NO_ERROR: the connection is closing abruptly without an error.
    public static let noError = TransportErrorCode(rawValue: 0x00)
    /// INTERNAL_ERROR: the endpoint hit an internal error.
    public static let internalError = TransportErrorCode(rawValue: 0x01)
    /// CONNECTION_REFUSED: the server refuses to accept a new connection.
    public static let connectionRefused = TransportErrorCode(rawValue: 0x02)
    /// FLOW_CONTROL_ERROR: more data was received than permitted.
    public static let flowControlError = TransportErrorCode(rawValue: 0x03)
    /// STREAM_LIMIT_ERROR: a stream identifier exceeded the advertised limit.
    public static let streamLimitError = TransportErrorCode(rawValue: 0x04)
    /// STREAM_STATE_ERROR: a frame arrived for a stream in a state that does not permit it.
    public static let streamStateError = TransportErrorCode(rawValue: 0x05)
    /// FINAL_SIZE_ERROR: the final size of a stream changed or was exceeded.
    public static let finalSizeError = TransportErrorCode(rawValue: 0x06)
    /// FRAME_ENCODING_ERROR: a frame was badly formatted.
    public static let frameEncodingError = TransportErrorCode(rawValue: 0x07)
    /// TRANSPORT_PARAMETER_ERROR: transport parameters were malformed, invalid or missing.
    public static let transportParameterError = TransportErrorCode(rawValue: 0x08)
    /// CONNECTION_ID_LIMIT_ERROR: too many connection IDs were provided.
    public static let connectionIDLimitError = TransportErrorCode(rawValue: 0x09)
    /// PROTOCOL_VIOLATION: a generic protocol violation.
    public static let protocolViolation = TransportErrorCode(rawValue: 0x0a)
    /// INVALID_TOKEN: a Retry or NEW_TOKEN token was not valid.
    public static let invalidToken = TransportErrorCode(rawValue: 0x0b)
    /// APPLICATION_ERROR: the application closed the connection (used in 0x1c when 0x1d is not allowed).
    public static let applicationError = TransportErrorCode(rawValue: 0x0c)
    /// CRYPTO_BUFFER_EXCEEDED: more CRYPTO data was received than can be buffered.
    public static let cryptoBufferExceeded = TransportErrorCode(rawValue: 0x0d)
    /// KEY_UPDATE_ERROR: a key update was performed incorrectly.
    public static let keyUpdateError = TransportErrorCode(rawValue: 0x0e)
    /// AEAD_LIMIT_REACHED: the AEAD confidentiality or integrity limit was reached.
    public static let aeadLimitReached = TransportErrorCode(rawValue: 0x0f)
    /// NO_VIABLE_PATH: no viable network path exists.
    public static let noViablePath = TransportErrorCode(rawValue: 0x10)

    // MARK: - CRYPTO_ERROR (RFC 9001 §4.8)

    /// The base of the CRYPTO_ERROR range: a TLS alert `a` is reported as `0x100 + a`.
    public static let cryptoErrorBase: UInt64 = 0x100

    /// CRYPTO_ERROR carrying a TLS alert description (RFC 9001 §4.8).
    @inlinable
    public static func crypto(alert: UInt8) -> TransportErrorCode {
        TransportErrorCode(rawValue: cryptoErrorBase + UInt64(alert))
    }

    /// The TLS alert when this is a CRYPTO_ERROR (0x0100–0x01ff), else nil.
    public var tlsAlert: UInt8? {
        guard rawValue >= Self.cryptoErrorBase, rawValue <= Self.cryptoErrorBase + 0xff else { return nil }
        return UInt8(truncatingIfNeeded: rawValue - Self.cryptoErrorBase)
    }

    // MARK: - Description

    /// The RFC name, e.g. `FRAME_ENCODING_ERROR`, `CRYPTO_ERROR(0x128)` or `0x1234` for unknown codes.
    public var description: String {
        if let alert = tlsAlert {
            return "CRYPTO_ERROR(alert \(alert))"
        }
        switch rawValue {
        case 0x00: return "NO_ERROR"
        case 0x01: return "INTERNAL_ERROR"
        case 0x02: return "CONNECTION_REFUSED"
        case 0x03: return "FLOW_CONTROL_ERROR"
        case 0x04: return "STREAM_LIMIT_ERROR"
        case 0x05: return "STREAM_STATE_ERROR"
        case 0x06: return "FINAL_SIZE_ERROR"
        case 0x07: return "FRAME_ENCODING_ERROR"
        case 0x08: return "TRANSPORT_PARAMETER_ERROR"
        case 0x09: return "CONNECTION_ID_LIMIT_ERROR"
        case 0x0a: return "PROTOCOL_VIOLATION"
        case 0x0b: return "INVALID_TOKEN"
        case 0x0c: return "APPLICATION_ERROR"
        case 0x0d: return "CRYPTO_BUFFER_EXCEEDED"
        case 0x0e: return "KEY_UPDATE_ERROR"
        case 0x0f: return "AEAD_LIMIT_REACHED"
        case 0x10: return "NO_VIABLE_PATH"
        default: return "0x" + String(rawValue, radix: 16)
        }
    }
}
