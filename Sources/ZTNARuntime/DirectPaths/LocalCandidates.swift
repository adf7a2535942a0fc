import NATTraversal
import NIOCore

/// The candidates of a node's one UDP socket (DESIGN.md §6): host candidates from the interface addresses
/// the socket receives on, and server-reflexive ones from what each relay observed.
enum LocalCandidates {
    /// - Parameters:
    ///   - socket: the socket's bound address. A wildcard address (`0.0.0.0`, `::`) stands for every
    ///     interface address of its family; loopback and IPv6 link-local addresses are left out then (a peer
    ///     elsewhere cannot reach them, and a link-local address needs a scope a candidate cannot carry). A
    ///     socket bound to one address (loopback included) offers exactly that address.
    ///   - observed: the addresses relays observed for the socket, one per relay connection.
    ///   - devices: the interface addresses (`System.enumerateDevices()`), passed in so tests can choose.
    ///   - excluded: interface addresses that are never candidates (the agent's own TUN address: only it can
    ///     reach it, and every punch naming it would spend one of the connector's probes for nothing).
    static func gather(socket: SocketAddress, observed: [SocketAddress], devices: [SocketAddress],
                       excluded: Set<String> = []) -> [Candidate] {
        var candidates: [Candidate] = []
        guard let port = socket.port else { return [] }
        if isWildcard(socket) {
            for device in devices where sameFamily(device, socket) && !isLoopbackOrLinkLocal(device)
                && !excluded.contains(device.ipAddress ?? "") {
                var address = device
                address.port = port
                candidates.append(Candidate(address: address, kind: .host))
            }
        } else {
            candidates.append(Candidate(address: socket, kind: .host))
        }
        for address in observed {
            candidates.append(Candidate(address: address, kind: .serverReflexive))
        }
        return candidates
    }

    /// The interface addresses of this host, or none when they cannot be read.
    static func deviceAddresses() -> [SocketAddress] {
        ((try? System.enumerateDevices()) ?? []).compactMap(\.address)
    }

    private static func isWildcard(_ address: SocketAddress) -> Bool {
        address.ipAddress == "0.0.0.0" || address.ipAddress == "::"
    }

    private static func sameFamily(_ lhs: SocketAddress, _ rhs: SocketAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4, .v4), (.v6, .v6): return true
        default: return false
        }
    }

    private static func isLoopbackOrLinkLocal(_ address: SocketAddress) -> Bool {
        guard let text = address.ipAddress else { return true }
        switch address {
        case .v4: return text.hasPrefix("127.") || text.hasPrefix("169.254.")
        case .v6: return text == "::1" || text.lowercased().hasPrefix("fe80:")
        case .unixDomainSocket: return true
        }
    }
}
