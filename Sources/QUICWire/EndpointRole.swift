// MARK: - EndpointRole

/// Which side of a connection an endpoint is (RFC 9000 §2.1 stream IDs, §18.2 server-only parameters).
public enum EndpointRole: Sendable, Hashable {
    /// The endpoint that initiated the connection.
    case client
    /// The endpoint that accepted it.
    case server

    /// The other side.
    @inlinable
    public var peer: EndpointRole {
        self == .client ? .server : .client
    }
}
