public import QUICCore
public import QUICTLS

/// Why an operation of the QUIC I/O shell failed.
///
/// Errors that the sans-IO core defines are carried unchanged (`.stream`, `.tls`), so the RFC error code of a
/// peer's CONNECTION_CLOSE or RESET_STREAM stays available to the caller.
public enum QUICNIOError: Error, Sendable, CustomStringConvertible {
    /// The connection is closed (or closed while the operation waited); the reason says who closed it and why.
    case connectionClosed(QUICCloseReason)
    /// The endpoint (its UDP socket) is closed or closing.
    case endpointClosed
    /// A stream operation the core refused (unknown stream, wrong direction, already finished, the peer's
    /// RESET_STREAM as `.reset(errorCode:)`, stream limit reached).
    case stream(QUICStreamError)
    /// The peer asked us to stop sending on this stream with STOP_SENDING (RFC 9000 §19.5); the core answered
    /// with RESET_STREAM carrying the same code (§3.5).
    case streamStopped(errorCode: UInt64)
    /// The TLS context could not start a handshake.
    case tls(TLSError)
    /// Another read (or write) of the same stream is still waiting; streams are single-reader, single-writer.
    case operationInProgress
    /// The waiting task was cancelled.
    case cancelled
    /// The configuration cannot be used for this operation (for example a server without server settings).
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .connectionClosed(let reason): return "connection closed (\(reason))"
        case .endpointClosed: return "endpoint closed"
        case .stream(let error): return "stream error: \(error)"
        case .streamStopped(let code): return "peer sent STOP_SENDING (0x\(String(code, radix: 16)))"
        case .tls(let error): return error.description
        case .operationInProgress: return "another operation of this kind is in progress on the stream"
        case .cancelled: return "cancelled"
        case .invalidConfiguration(let message): return "invalid configuration: \(message)"
        }
    }
}
