import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the kernel has a route to a destination, asked before datagrams go to it (`QUICNIOOptions.checksRoutes`).
///
/// SwiftNIO closes a UDP channel when a write fails with anything but EMSGSIZE or EHOSTUNREACH — ENETUNREACH
/// (no route: a NAT traversal candidate in a network we cannot reach, or every route gone while a laptop
/// roams), EPERM or EACCES (a local firewall) would take the whole endpoint, every connection on the node's
/// one socket, down with them. A `connect(2)` on a throwaway UDP socket asks the routing table without sending
/// anything; the answer is cached for a second, so routes that come back (roaming) are seen quickly and a busy
/// destination costs one lookup a second. Loop-confined.
final class RouteCheck {
    private var cache: [SocketAddress: (routable: Bool, until: NIODeadline)] = [:]
    /// How long an answer is used.
    static let lifetime: TimeAmount = .seconds(1)
    /// Answers kept; beyond it the cache starts over (bounded memory whatever the destinations).
    static let capacity = 1024
    /// Datagrams not sent because their destination had no route.
    private(set) var unroutableDrops = 0

    /// The last routable destination and until when: nearly every datagram of a flush goes where the one
    /// before it went, and this spares it the dictionary lookup (this runs per datagram).
    private var last: (address: SocketAddress, until: NIODeadline)?

    /// Whether datagrams may be written to `address` now; counts a drop when not.
    func allows(_ address: SocketAddress, now: NIODeadline) -> Bool {
        if let last, last.until > now, last.address == address { return true }
        if let entry = cache[address], entry.until > now {
            if entry.routable { last = (address, entry.until) } else { unroutableDrops += 1 }
            return entry.routable
        }
        if cache.count >= Self.capacity { cache.removeAll(keepingCapacity: true) }
        let routable = Self.hasRoute(to: address)
        cache[address] = (routable, now + Self.lifetime)
        if routable { last = (address, now + Self.lifetime) } else { unroutableDrops += 1 }
        return routable
    }

    /// `connect(2)` of an unbound UDP socket: a route lookup, nothing sent. Errors other than the ones a write
    /// would also fail with count as routable (the write then reports them as usual).
    static func hasRoute(to address: SocketAddress) -> Bool {
        let family: CInt
        switch address {
        case .v4: family = CInt(AF_INET)
        case .v6: family = CInt(AF_INET6)
        case .unixDomainSocket: return true
        }
        #if canImport(Glibc)
        let descriptor = socket(family, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        #else
        let descriptor = socket(family, SOCK_DGRAM, 0)
        #endif
        guard descriptor >= 0 else { return true }
        defer { close(descriptor) }
        let result = address.withSockAddr { pointer, length in connect(descriptor, pointer, socklen_t(length)) }
        guard result != 0 else { return true }
        switch errno {
        case ENETUNREACH, EHOSTUNREACH, EACCES, EPERM, EADDRNOTAVAIL: return false
        default: return true
        }
    }
}
