/// Something the application should know about the endpoint or one of its connections.
public enum QUICEndpointEvent: Sendable, Hashable {
    /// A client's first Initial created a new server-side connection.
    case accepted(ConnectionHandle)
    /// An event of one connection. After `.closed`, the handle is forgotten once the connection drained.
    case connection(ConnectionHandle, QUICConnectionEvent)
}
