import NIOCore

// MARK: - CandidatePair

/// A local candidate of the agent (controlling) paired with a remote candidate of the connector
/// (controlled), RFC 8445 §6.1.2.
public struct CandidatePair: Hashable, Sendable, CustomStringConvertible {
    /// The agent's candidate: the address PUNCH_ME_NOW asks the connector to probe.
    public var local: Candidate
    /// The connector's candidate: the address the agent probes.
    public var remote: Candidate
    /// The ADD_ADDRESS sequence number of `remote`; nil for a peer-reflexive remote, which was never
    /// advertised and so needs no PUNCH_ME_NOW (the connector is already probing from it).
    public var remoteSequence: UInt64?

    public init(local: Candidate, remote: Candidate, remoteSequence: UInt64?) {
        self.local = local
        self.remote = remote
        self.remoteSequence = remoteSequence
    }

    /// RFC 8445 §6.1.2.3 with the agent controlling (G = local, D = remote):
    /// `2^32·min(G,D) + 2·max(G,D) + (G>D ? 1 : 0)`.
    public var priority: UInt64 {
        Self.priority(controlling: local.priority, controlled: remote.priority)
    }

    /// RFC 8445 §6.1.2.3. Candidate priorities stay below 2^31 (§5.1.2.1), where this fits in 64 bits;
    /// larger arbitrary inputs saturate at `UInt64.max` rather than trap.
    public static func priority(controlling g: UInt32, controlled d: UInt32) -> UInt64 {
        let low = UInt64(min(g, d))
        let high = UInt64(max(g, d))
        let (sum, overflow) = (low << 32).addingReportingOverflow(2 * high + (g > d ? 1 : 0))
        return overflow ? .max : sum
    }

    public var description: String { "\(local.address)→\(remote.address)" }
}

// MARK: - Forming pairs

extension CandidatePair {
    /// Every same-family pair of `locals` × `remotes`, highest priority first. The sort is stable: equal
    /// priorities keep the order of `locals`, then of `remotes` (the connector's advertisement order), so a
    /// caller controls ties. A (local address, remote address) combination appears once, with its highest
    /// priority (RFC 8445 §6.1.2.4 prunes redundant pairs).
    public static func form(locals: [Candidate], remotes: [(candidate: Candidate, sequence: UInt64?)]) -> [CandidatePair] {
        var seen = Set<AddressPair>()
        var formed: [(index: Int, pair: CandidatePair)] = []
        for local in locals {
            guard let family = local.family else { continue }
            for remote in remotes where remote.candidate.family == family {
                let pair = CandidatePair(local: local, remote: remote.candidate, remoteSequence: remote.sequence)
                formed.append((formed.count, pair))
            }
        }
        // Highest priority first; the original index breaks ties so the order is stable.
        formed.sort { lhs, rhs in
            let (l, r) = (lhs.pair.priority, rhs.pair.priority)
            return l != r ? l > r : lhs.index < rhs.index
        }
        var result: [CandidatePair] = []
        for entry in formed where seen.insert(AddressPair(entry.pair)).inserted {
            result.append(entry.pair)
        }
        return result
    }
}

// MARK: - AddressPair

/// The identity of a pair on the wire: which address PUNCH_ME_NOW names and which address is probed.
struct AddressPair: Hashable {
    var local: SocketAddress
    var remote: SocketAddress

    init(_ pair: CandidatePair) {
        local = pair.local.address
        remote = pair.remote.address
    }
}
