public import NIOCore

// MARK: - AddressFamily

/// The two address families a candidate can belong to. Candidates pair only within one family
/// (RFC 8445 §6.1.2.2: a local and a remote candidate are paired only when they have the same address family).
public enum AddressFamily: Hashable, Sendable {
    case ipv4
    case ipv6

    /// The family of `address`, or nil for a Unix-domain address (never a network candidate).
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4: self = .ipv4
        case .v6: self = .ipv6
        case .unixDomainSocket: return nil
        }
    }
}

// MARK: - CandidateKind

/// How a candidate was learnt (RFC 8445 §5.1.1). Relayed candidates do not exist here: the relayed path is
/// the tunnel's backup tier, not a candidate (DESIGN.md §6).
public enum CandidateKind: Hashable, Sendable, CaseIterable {
    /// An interface address with the node's socket port.
    case host
    /// The mapping a relay observed (QAD DATAGRAM or OBSERVED_ADDRESS).
    case serverReflexive
    /// The source address of a probe that arrived from an address nobody advertised (RFC 8445 §7.2.5.3.1).
    case peerReflexive

    /// RFC 8445 §5.1.2.2 recommended type preferences.
    public var typePreference: UInt32 {
        switch self {
        case .host: return 126
        case .peerReflexive: return 110
        case .serverReflexive: return 100
        }
    }
}

// MARK: - Candidate

/// A transport address on the node's one UDP socket that the peer may be able to reach (RFC 8445 §5.1).
public struct Candidate: Hashable, Sendable, CustomStringConvertible {
    /// The address the peer sends to.
    public var address: SocketAddress
    public var kind: CandidateKind
    /// For a server-reflexive candidate: the local socket address the relay's observation maps from
    /// (RFC 8445 §5.1.1.1 "base"). Nil means "the node's one socket" (DESIGN.md §6), which is what all
    /// callers have today. Used only to detect a NAT whose mapping varies by destination.
    public var base: SocketAddress?

    /// The component ID: a QUIC connection has one component (RFC 8445 §5.1.2.1 uses 1 for RTP).
    public static let component: UInt32 = 1

    /// Local preference for both address families. RFC 8445 §5.1.2.1 recommends 65535 for a single-homed
    /// host; RFC 8421 would prefer IPv6, but IPv4 already takes the maximum (DESIGN.md §6), so IPv6 gets the
    /// same value and ties between the families keep the caller's order (pair sorting is stable).
    public static let localPreference: UInt32 = 65535

    public init(address: SocketAddress, kind: CandidateKind, base: SocketAddress? = nil) {
        self.address = address
        self.kind = kind
        self.base = base
    }

    /// The family, or nil for a Unix-domain address (such a candidate is never paired).
    public var family: AddressFamily? { AddressFamily(address) }

    /// RFC 8445 §5.1.2.1: `2^24·type + 2^8·local + (256 − component)`.
    public var priority: UInt32 {
        Self.priority(kind: kind, localPreference: Self.localPreference, component: Self.component)
    }

    /// RFC 8445 §5.1.2.1 for any inputs. `localPreference` is clamped to 16 bits and `component` to
    /// 1…256 so no input can overflow.
    public static func priority(kind: CandidateKind, localPreference: UInt32, component: UInt32) -> UInt32 {
        let local = min(localPreference, 65535)
        let component = min(max(component, 1), 256)
        return (kind.typePreference << 24) + (local << 8) + (256 - component)
    }

    public var description: String { "\(kind)(\(address))" }
}
