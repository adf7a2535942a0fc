import NIOCore

/// An IP address as the simulation keys it: the canonical text NIO prints (so "::1" and "0:0::1" agree)
/// plus a `SocketAddress` template to stamp ports onto. Equality is the text alone.
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    let text: String
    let isIPv4: Bool
    private let template: SocketAddress

    /// Parses a literal IPv4 or IPv6 address (no host names: the simulation has no DNS).
    init?(_ literal: String) {
        guard let address = try? SocketAddress(ipAddress: literal, port: 0) else { return nil }
        self.init(address)
    }

    /// The IP of a socket address; nil for Unix-domain addresses.
    init?(_ address: SocketAddress) {
        guard let text = address.ipAddress else { return nil }
        switch address {
        case .v4: isIPv4 = true
        case .v6: isIPv4 = false
        case .unixDomainSocket: return nil
        }
        self.text = text
        var template = address
        template.port = 0
        self.template = template
    }

    func socketAddress(port: Int) -> SocketAddress {
        var address = template
        address.port = port
        return address
    }

    var description: String { text }
    static func == (lhs: IPAddress, rhs: IPAddress) -> Bool { lhs.text == rhs.text }
    func hash(into hasher: inout Hasher) { hasher.combine(text) }
}

/// An IP address and UDP port: one end of a datagram as some realm sees it.
struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    var ip: IPAddress
    var port: Int

    init(ip: IPAddress, port: Int) {
        self.ip = ip
        self.port = port
    }

    init?(_ address: SocketAddress) {
        guard let ip = IPAddress(address), let port = address.port else { return nil }
        self.init(ip: ip, port: port)
    }

    var socketAddress: SocketAddress { ip.socketAddress(port: port) }
    var description: String { ip.isIPv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }
}
