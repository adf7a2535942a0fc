// MARK: - RelayedReason

/// Why a tunnel is on the relayed path rather than a direct one (DESIGN.md §6 "Explainability"). The
/// `rawValue` is the stable string of `/api/v1/status`; never rename one.
public enum RelayedReason: String, Hashable, Sendable, CaseIterable {
    /// The handshake has not yet told us whether the peer supports NAT traversal.
    case negotiating = "negotiating"
    /// This node's configuration turns direct paths off.
    case disabledLocally = "disabled-locally"
    /// The peer told us (outside the transport parameters) that its configuration turns direct paths off.
    case disabledByPeer = "disabled-by-peer"
    /// The peer did not offer the nat_traversal transport parameter.
    case peerLacksSupport = "peer-lacks-support"
    /// We have no candidate address to offer.
    case noLocalCandidates = "no-local-candidates"
    /// The peer has advertised no candidate address.
    case noRemoteCandidates = "no-remote-candidates"
    /// Candidates exist on both sides, but no two share an address family.
    case noCandidatePairs = "no-candidate-pairs"
    /// A traversal attempt is under way (on a connector: waiting for the agent to punch or to migrate).
    case attempting = "attempting"
    /// Every pair of the last attempt went unanswered.
    case probesUnanswered = "probes-unanswered"
    /// Every pair went unanswered and relays observed different ports for our one socket: our NAT maps per
    /// destination (RFC 4787 §4.1 address/port-dependent mapping), so the advertised address is not the one
    /// the peer would reach.
    case mappingVariesByDestination = "mapping-varies-by-destination"
    /// A direct path was in use and stopped working; the tunnel moved back to the relay.
    case directPathFailed = "direct-path-failed"

    /// One sentence for operators.
    public var explanation: String {
        switch self {
        case .negotiating:
            return "The tunnel handshake has not yet shown whether the peer supports direct paths."
        case .disabledLocally:
            return "Direct paths are disabled in this node's configuration."
        case .disabledByPeer:
            return "Direct paths are disabled in the peer's configuration."
        case .peerLacksSupport:
            return "The peer did not offer the QUIC NAT traversal extension."
        case .noLocalCandidates:
            return "This node has no address to offer the peer yet."
        case .noRemoteCandidates:
            return "The peer has not advertised any address yet."
        case .noCandidatePairs:
            return "The two sides have addresses, but none of the same family (IPv4 or IPv6)."
        case .attempting:
            return "A direct path is being tried; the relay carries the traffic meanwhile."
        case .probesUnanswered:
            return "No probe to the peer's addresses was answered; a NAT or firewall is probably filtering them."
        case .mappingVariesByDestination:
            return "This node's NAT gives every destination its own port, so the peer cannot reach the address relays observed."
        case .directPathFailed:
            return "The direct path stopped delivering packets, so traffic went back to the relay."
        }
    }
}
