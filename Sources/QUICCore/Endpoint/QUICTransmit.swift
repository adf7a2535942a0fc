/// One UDP datagram the endpoint wants sent (possibly several coalesced QUIC packets).
public struct QUICTransmit: Sendable {
    /// Where it goes. A `.relayed` destination is for the application to wrap and forward.
    public var destination: PathAddress
    /// The datagram payload.
    public var payload: [UInt8]

    public init(destination: PathAddress, payload: [UInt8]) {
        self.destination = destination
        self.payload = payload
    }
}

/// Identifies a connection inside a `QUICEndpoint`.
public struct ConnectionHandle: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "conn#\(rawValue)" }
}
