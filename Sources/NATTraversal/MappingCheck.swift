import NIOCore

// MARK: - MappingCheck

/// Detects a NAT whose mapping varies by destination (RFC 4787 §4.1: address- or address-and-port-dependent
/// mapping, "symmetric NAT") from the server-reflexive candidates several relays observed for one socket.
/// An endpoint-independent NAT shows every relay the same port; a per-destination NAT shows each its own.
public enum MappingCheck {
    /// True when two server-reflexive candidates with the same base (nil = the node's one socket) and family
    /// differ in port. A different IP with the same port is not flagged: a multi-homed NAT may route relays
    /// over different uplinks and still map endpoint-independently on each.
    public static func variesByDestination(_ candidates: [Candidate]) -> Bool {
        var portByBase: [BaseKey: Int] = [:]
        for candidate in candidates where candidate.kind == .serverReflexive {
            guard let family = candidate.family, let port = candidate.address.port else { continue }
            let key = BaseKey(base: candidate.base, family: family)
            if let seen = portByBase[key] {
                if seen != port { return true }
            } else {
                portByBase[key] = port
            }
        }
        return false
    }

    private struct BaseKey: Hashable {
        var base: SocketAddress?
        var family: AddressFamily
    }
}
