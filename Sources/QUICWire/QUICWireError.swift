// MARK: - QUICWireError

/// The error every QUICWire parser throws: the RFC 9000 §20.1 code the connection should close with,
/// the frame type being parsed when known (CONNECTION_CLOSE carries it), and a human-readable reason.
public struct QUICWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The transport error code to report to the peer.
    public var code: TransportErrorCode
    /// The frame type being parsed, when known (RFC 9000 §19.19 "Frame Type" field).
    public var frameType: UInt64?
    /// Why parsing failed; for logs and the CONNECTION_CLOSE reason phrase.
    public var reason: String

    /// Creates an error with a code, an optional frame type and a reason.
    @inlinable
    public init(_ code: TransportErrorCode, frameType: UInt64? = nil, _ reason: String) {
        self.code = code
        self.frameType = frameType
        self.reason = reason
    }

    /// `FRAME_ENCODING_ERROR (frame 0x8): reason`.
    public var description: String {
        if let frameType {
            return "\(code) (frame 0x\(String(frameType, radix: 16))): \(reason)"
        }
        return "\(code): \(reason)"
    }
}

// MARK: - Internal helpers

extension QUICWireError {
    /// The error a reader throws when the input ends early; callers may re-map the code.
    @usableFromInline
    static func truncated(_ what: String) -> QUICWireError {
        QUICWireError(.frameEncodingError, "truncated input: \(what)")
    }

    /// The same error with another code (used when a reader error surfaces in another layer).
    func withCode(_ newCode: TransportErrorCode) -> QUICWireError {
        var copy = self
        copy.code = newCode
        return copy
    }
}

/// `0x1f`-style hexadecimal for error reasons.
func hex(_ value: UInt64) -> String {
    "0x" + String(value, radix: 16)
}
