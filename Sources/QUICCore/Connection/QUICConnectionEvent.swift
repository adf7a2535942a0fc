public import QUICWire

/// Something the application should know about one connection. Pulled with `pollEvent()`.
public enum QUICConnectionEvent: Sendable, Hashable {
    /// The TLS handshake completed (RFC 9001 §4.1.1); streams and datagrams may be used.
    case connected
    /// The peer opened a stream (RFC 9000 §2.1).
    case streamOpened(StreamID)
    /// New in-order data (or the end of the stream) can be read.
    case streamReadable(StreamID)
    /// The stream accepts more data after having been blocked by flow control or the send buffer.
    case streamWritable(StreamID)
    /// The peer abandoned its sending side with RESET_STREAM (RFC 9000 §19.4).
    case streamReset(StreamID, errorCode: UInt64)
    /// The peer asked us to stop sending with STOP_SENDING (RFC 9000 §19.5); we answered with RESET_STREAM.
    case streamStopped(StreamID, errorCode: UInt64)
    /// A DATAGRAM frame's payload (RFC 9221 §5).
    case datagram([UInt8])
    /// The largest DATAGRAM payload we can send changed (nil: the peer does not accept DATAGRAM frames).
    case maxDatagramPayloadChanged(Int?)
    /// A path answered our PATH_CHALLENGE (RFC 9000 §8.2.3): it can carry the connection.
    case pathValidated(PathAddress)
    /// A path did not answer within the validation schedule (RFC 9000 §8.2.4); the connection stays where it was.
    case pathFailed(PathAddress)
    /// The peer now sends from another address (its migration or a NAT rebinding, RFC 9000 §9.3); the
    /// connection follows and validates the new path, keeping the old one until it does.
    case peerAddressChanged(PathAddress)
    /// The connection's active path changed (our migration, or following the peer).
    case activePathChanged(PathAddress)
    /// A PATH_CHALLENGE arrived from an address the connection had no path for (it is answered there, RFC 9000
    /// §8.2.2): the peer is probing us from it. NAT traversal learns a peer-reflexive candidate from it
    /// (RFC 8445 §7.2.5.3.1). Reported once per new path.
    case probeReceived(PathAddress)
    /// The server advertised one of its candidate addresses (ADD_ADDRESS, draft-seemann-quic-nat-traversal-02):
    /// pair it and ask for a punch with `requestPunch`. Reported once per sequence number.
    case addressAdvertised(sequence: UInt64, address: FrameAddress)
    /// The server withdrew an advertised address (REMOVE_ADDRESS): stop probing pairs with it.
    case addressWithdrawn(sequence: UInt64)
    /// The client asks us, the server, to probe its `address` (PUNCH_ME_NOW) — with `probePath` — so that both
    /// NATs open a mapping for the pair (server-initiated path validation). A higher round cancels the probes of
    /// lower ones. Reported once per frame.
    case punchRequested(PunchMeNowFrame)
    /// The peer reports the address it sees our packets come from (OBSERVED_ADDRESS,
    /// draft-ietf-quic-address-discovery): a server-reflexive candidate. Reported when it is newer than the last.
    case addressObserved(FrameAddress)
    /// The 1-RTT keys changed (RFC 9001 §6): we started the update, or followed the peer's.
    case keysUpdated(initiatedByPeer: Bool)
    /// The connection is gone; no more events follow.
    case closed(QUICCloseReason)
}

/// Why a connection closed.
public enum QUICCloseReason: Sendable, Hashable, CustomStringConvertible {
    /// We closed it (application request) with this error.
    case local(QUICCloseError)
    /// The peer sent CONNECTION_CLOSE.
    case peer(QUICCloseError)
    /// A transport error we detected (we sent CONNECTION_CLOSE with it).
    case transportError(QUICCloseError)
    /// No packet for the idle timeout (RFC 9000 §10.1).
    case idleTimeout
    /// The handshake did not complete in time.
    case handshakeTimeout
    /// The peer's stateless reset (RFC 9000 §10.3).
    case statelessReset
    /// The server answered with a Version Negotiation packet without a version we speak (RFC 9000 §6.2).
    case versionNegotiation([UInt32])

    /// A short stable label for metrics: `timeout`, `idle_timeout`, `local`, `stateless_reset`,
    /// `version_negotiation`, or `tls_alert_<n>` / `transport_<code>` / `application` for an error either side
    /// sent (RFC 9001 §4.8: CRYPTO_ERROR 0x100 + alert).
    public var label: String {
        switch self {
        case .local(let error) where !error.isApplicationError: return Self.label(error)
        case .local: return "local"
        case .peer(let error), .transportError(let error): return Self.label(error)
        case .idleTimeout: return "idle_timeout"
        case .handshakeTimeout: return "timeout"
        case .statelessReset: return "stateless_reset"
        case .versionNegotiation: return "version_negotiation"
        }
    }

    private static func label(_ error: QUICCloseError) -> String {
        if error.isApplicationError { return "application" }
        if (0x100...0x1ff).contains(error.code) { return "tls_alert_\(error.code - 0x100)" }
        return "transport_0x\(String(error.code, radix: 16))"
    }

    public var description: String {
        switch self {
        case .local(let error): return "closed locally: \(error)"
        case .peer(let error): return "closed by peer: \(error)"
        case .transportError(let error): return "transport error: \(error)"
        case .idleTimeout: return "idle timeout"
        case .handshakeTimeout: return "handshake timeout"
        case .statelessReset: return "stateless reset"
        case .versionNegotiation(let versions): return "no common version (peer offers \(versions))"
        }
    }
}

/// The contents of a CONNECTION_CLOSE frame (RFC 9000 §19.19).
public struct QUICCloseError: Sendable, Hashable, CustomStringConvertible {
    public var isApplicationError: Bool
    public var code: UInt64
    public var frameType: UInt64?
    public var reason: String

    public init(isApplicationError: Bool, code: UInt64, frameType: UInt64? = nil, reason: String) {
        self.isApplicationError = isApplicationError
        self.code = code
        self.frameType = frameType
        self.reason = reason
    }

    public static func transport(_ error: QUICWireError) -> QUICCloseError {
        QUICCloseError(isApplicationError: false, code: error.code.rawValue, frameType: error.frameType,
                       reason: error.reason)
    }

    public var description: String {
        let kind = isApplicationError ? "application" : TransportErrorCode(rawValue: code).description
        return reason.isEmpty ? "\(kind) (0x\(String(code, radix: 16)))"
            : "\(kind) (0x\(String(code, radix: 16))): \(reason)"
    }
}
