public import IPPacket

// MARK: - Identifiers and events

/// Identifies one flow (one kernel TCP connection) for its whole life; never reused by an endpoint.
public struct FlowID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "flow#\(rawValue)" }
}

/// The 4-tuple of a flow as the kernel sees it: the local app's address and port, and the service's
/// virtual IP and port (the destination the app connected to).
public struct FlowTuple: Hashable, Sendable, CustomStringConvertible {
    /// The app's address (the TUN-side source of the SYN).
    public var clientAddress: IPAddress
    public var clientPort: UInt16
    /// The virtual IP the app connected to.
    public var serviceAddress: IPAddress
    public var servicePort: UInt16

    public init(clientAddress: IPAddress, clientPort: UInt16, serviceAddress: IPAddress, servicePort: UInt16) {
        self.clientAddress = clientAddress
        self.clientPort = clientPort
        self.serviceAddress = serviceAddress
        self.servicePort = servicePort
    }

    public var description: String { "\(clientAddress):\(clientPort)→\(serviceAddress):\(servicePort)" }
}

/// What the endpoint tells its owner. Each flow ends with exactly one `.closed`.
public enum TCPEvent: Hashable, Sendable {
    /// A SYN arrived for a new 4-tuple: open the stream, then call `accept` or `refuse`.
    case connectRequested(FlowID, FlowTuple)
    /// In-order bytes are waiting for `read` (raised again only after a `read`).
    case readable(FlowID)
    /// The flow is established, or send-buffer space freed after a `write` that did not take everything.
    case writable(FlowID)
    /// The kernel closed its sending side; after the bytes still in `read`, the stream should get a FIN.
    case finReceived(FlowID)
    /// The connection was reset (by the kernel's RST, or aborted after retransmissions or the accept
    /// timeout ran out): reset the stream.
    case reset(FlowID)
    /// The flow is gone; its `FlowID` is no longer valid.
    case closed(FlowID)
}
