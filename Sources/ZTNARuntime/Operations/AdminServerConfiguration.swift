public import NIOCore

// MARK: - AdminServerConfiguration

/// Where and as whom the admin HTTP server listens.
public struct AdminServerConfiguration: Sendable, Equatable {
    /// Default admin ports (DESIGN.md §8).
    public static let defaultRelayPort = 9090
    public static let defaultConnectorPort = 9091
    public static let defaultAgentPort = 9092

    /// The daemon role, shown in the status page title (`relay`, `connector`, `agent`).
    public var role: String
    /// An IPv4 or IPv6 literal (brackets allowed), or `localhost` (= 127.0.0.1, never resolved).
    public var host: String
    /// The TCP port; 0 picks a free one (tests), see ``AdminServer/waitUntilListening()``.
    public var port: Int
    /// Allow a non-loopback `host`. The daemons set this only when the operator configured the admin address
    /// explicitly, for example `0.0.0.0` inside a Kubernetes pod so Prometheus can scrape it.
    public var allowNonLoopback: Bool

    public init(role: String, host: String = "127.0.0.1", port: Int, allowNonLoopback: Bool = false) {
        self.role = role
        self.host = host
        self.port = port
        self.allowNonLoopback = allowNonLoopback
    }

    // MARK: - Validation

    /// The literal address to bind, after checking the port and the loopback rule.
    public func validatedBindAddress() throws(AdminServerError) -> SocketAddress {
        guard (0...65535).contains(self.port) else {
            throw AdminServerError(.invalidPort, "port \(self.port) is outside 0...65535")
        }
        var literal = self.host
        if literal.hasPrefix("["), literal.hasSuffix("]") {
            literal = String(literal.dropFirst().dropLast())
        }
        if literal.lowercased() == "localhost" {
            literal = "127.0.0.1"
        }
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: literal, port: self.port)
        } catch {
            throw AdminServerError(.invalidAddress, "'\(self.host)' is not an IP address literal or localhost")
        }
        guard self.allowNonLoopback || Self.isLoopback(address) else {
            throw AdminServerError(
                .nonLoopbackRefused,
                "'\(self.host)' is not a loopback address; configure it explicitly to expose the admin API"
            )
        }
        return address
    }

    /// 127.0.0.0/8, ::1, or an IPv4-mapped 127.0.0.0/8 (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3, §2.5.5.2).
    static func isLoopback(_ address: SocketAddress) -> Bool {
        // inet_ntop's canonical text: dotted quad for IPv4; "::1", and "::ffff:a.b.c.d" for IPv4-mapped.
        guard let text = address.ipAddress?.lowercased() else { return false }
        switch address {
        case .v4:
            return text.hasPrefix("127.")
        case .v6:
            return text == "::1" || text.hasPrefix("::ffff:127.")
        case .unixDomainSocket:
            return false
        }
    }
}
