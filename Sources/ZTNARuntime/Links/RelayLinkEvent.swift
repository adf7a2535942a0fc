public import QUICCore
public import ZTNAProtocol

/// What a `RelayLink` reports to its owner, on the endpoint's event loop.
public enum RelayLinkEvent: Sendable {
    /// The relay connection's handshake completed (registrations are being sent).
    case connected
    /// The relay connection ended; the link reconnects with backoff.
    case disconnected(QUICCloseReason)
    /// A registration answer, an availability change, the observed address, or a tunnel packet.
    case session(RelaySessionEvent)
}
