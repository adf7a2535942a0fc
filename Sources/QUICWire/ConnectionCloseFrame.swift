// MARK: - ConnectionCloseFrame

/// A CONNECTION_CLOSE frame (RFC 9000 §19.19).
///
/// ```
/// CONNECTION_CLOSE Frame {
///   Type (i) = 0x1c..0x1d, Error Code (i), [Frame Type (i)],   // Frame Type only in 0x1c
///   Reason Phrase Length (i), Reason Phrase (..)
/// }
/// ```
public struct ConnectionCloseFrame: Hashable, Sendable {
    /// True for type 0x1d (application error), false for 0x1c (transport error).
    public var isApplicationError: Bool
    /// The error code: a `TransportErrorCode` for 0x1c, an application code for 0x1d.
    public var errorCode: UInt64
    /// The frame type that triggered the error (0x1c only; 0 when unknown); not encoded for 0x1d.
    public var frameType: UInt64
    /// The reason phrase bytes (UTF-8 by convention; not validated, RFC 9000 §19.19).
    public var reason: [UInt8]

    /// Creates a CONNECTION_CLOSE frame.
    public init(isApplicationError: Bool, errorCode: UInt64, frameType: UInt64 = 0, reason: [UInt8] = []) {
        self.isApplicationError = isApplicationError
        self.errorCode = errorCode
        self.frameType = frameType
        self.reason = reason
    }

    /// A transport CONNECTION_CLOSE (0x1c) reporting `error`.
    public init(_ error: QUICWireError) {
        self.init(isApplicationError: false, errorCode: error.code.rawValue, frameType: error.frameType ?? 0,
                  reason: Array(error.reason.utf8))
    }

    /// The transport error code (meaningful for 0x1c).
    public var transportErrorCode: TransportErrorCode {
        TransportErrorCode(rawValue: errorCode)
    }
}
