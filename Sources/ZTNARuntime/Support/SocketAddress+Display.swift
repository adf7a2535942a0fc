public import NIOCore

extension SocketAddress {
    /// `127.0.0.1:9090` or `[::1]:9090`, as an operator would type it (NIO's own description adds
    /// `[IPv4]` and the host name).
    public var hostPortText: String {
        let host = ipAddress ?? "?"
        let port = port.map(String.init) ?? "?"
        if case .v6 = self { return "[\(host)]:\(port)" }
        return "\(host):\(port)"
    }
}
