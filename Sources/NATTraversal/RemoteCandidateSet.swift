import NIOCore

// MARK: - RemoteCandidateSet

/// The connector's candidates as the agent knows them: advertised ones by ADD_ADDRESS sequence number
/// (draft-seemann-quic-nat-traversal-02 §6.1), peer-reflexive ones by address. Everything here comes from
/// the peer, so memory is bounded (`capacity`) and nothing traps: refusals are counted instead.
///
/// The draft carries no candidate type, so advertised addresses are ranked as server-reflexive (type
/// preference 100) and keep the connector's advertisement order among themselves; a peer-reflexive address
/// (110) outranks them because a probe proved the connector's NAT sends from it.
struct RemoteCandidateSet: Hashable, Sendable {
    struct Entry: Hashable, Sendable {
        var candidate: Candidate
        /// Nil for a peer-reflexive candidate.
        var sequence: UInt64?
    }

    enum AddOutcome: Hashable {
        case added
        /// The same sequence and address again (a retransmitted frame).
        case duplicate
        /// A sequence already withdrawn, or reused for another address.
        case stale
        /// `capacity` entries already.
        case full
        /// Not an IP address.
        case unusable
    }

    let capacity: Int
    private(set) var entries: [Entry] = []
    /// Withdrawn sequences, so a reordered late ADD_ADDRESS does not resurrect one. Bounded: once it holds
    /// `2 × capacity`, the smallest are forgotten (the connector's sequences increase, so those are oldest).
    private var withdrawn: Set<UInt64> = []

    init(capacity: Int) {
        self.capacity = max(capacity, 0)
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Entries as pairing input: advertised ones by sequence (the connector's order, even if frames were
    /// reordered), then peer-reflexive ones in arrival order.
    var forPairing: [(candidate: Candidate, sequence: UInt64?)] {
        let advertised = entries.filter { $0.sequence != nil }.sorted { ($0.sequence ?? 0) < ($1.sequence ?? 0) }
        let reflexive = entries.filter { $0.sequence == nil }
        return (advertised + reflexive).map { ($0.candidate, $0.sequence) }
    }

    func contains(address: SocketAddress) -> Bool {
        entries.contains { $0.candidate.address == address }
    }

    // MARK: Changes

    mutating func addAdvertised(sequence: UInt64, address: SocketAddress) -> AddOutcome {
        guard AddressFamily(address) != nil else { return .unusable }
        if withdrawn.contains(sequence) { return .stale }
        if let existing = entries.first(where: { $0.sequence == sequence }) {
            return existing.candidate.address == address ? .duplicate : .stale
        }
        guard entries.count < capacity else { return .full }
        // An advertised address replaces a peer-reflexive entry for the same address: it now has a sequence.
        entries.removeAll { $0.sequence == nil && $0.candidate.address == address }
        entries.append(Entry(candidate: Candidate(address: address, kind: .serverReflexive), sequence: sequence))
        return .added
    }

    mutating func addPeerReflexive(address: SocketAddress) -> AddOutcome {
        guard AddressFamily(address) != nil else { return .unusable }
        if contains(address: address) { return .duplicate }
        guard entries.count < capacity else { return .full }
        entries.append(Entry(candidate: Candidate(address: address, kind: .peerReflexive), sequence: nil))
        return .added
    }

    /// Removes the advertised candidate `sequence`; returns its address if it was present.
    mutating func remove(sequence: UInt64) -> SocketAddress? {
        rememberWithdrawn(sequence)
        guard let index = entries.firstIndex(where: { $0.sequence == sequence }) else { return nil }
        return entries.remove(at: index).candidate.address
    }

    private mutating func rememberWithdrawn(_ sequence: UInt64) {
        withdrawn.insert(sequence)
        let limit = max(2 * capacity, 1)
        while withdrawn.count > limit, let oldest = withdrawn.min() {
            withdrawn.remove(oldest)
        }
    }
}
