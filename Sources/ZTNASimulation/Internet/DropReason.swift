/// Why the simulated internet dropped a datagram. `SimulatedInternet.drops` counts every drop by reason, so a
/// test can say *which* RFC 4787 rule stopped a packet, not just that it vanished.
public enum DropReason: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No host or NAT owns the destination address in the realm the packet reached (private addresses are not
    /// routed on the internet; a NAT does not translate IPv6).
    case noRoute
    /// Inbound to a NAT's external address on a port with no mapping (RFC 4787 §4.1).
    case noMapping
    /// Inbound to a mapping that timed out (RFC 4787 §4.3).
    case mappingExpired
    /// Inbound refused by the mapping's filtering behaviour (RFC 4787 §5).
    case filtered
    /// From inside to the NAT's own external address on a box without hairpinning (RFC 4787 §6).
    case hairpinRefused
    /// Random loss on a host's access link.
    case loss
    /// `cut(between:and:)` or `cutHost(_:)` is in force.
    case cut
    /// The NAT has no free external port for a new mapping (RFC 4787 §4.2.1).
    case portsExhausted

    public var description: String {
        switch self {
        case .noRoute: "noRoute"
        case .noMapping: "noMapping"
        case .mappingExpired: "mappingExpired"
        case .filtered: "filtered"
        case .hairpinRefused: "hairpinRefused"
        case .loss: "loss"
        case .cut: "cut"
        case .portsExhausted: "portsExhausted"
        }
    }
}
