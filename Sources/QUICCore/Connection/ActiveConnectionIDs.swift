public import QUICWire

/// The connection IDs of one connection at one moment (RFC 9000 §5.1), for status pages and tests:
/// those we issued (and route to the connection) and the peer's, with their sequence numbers.
public struct ActiveConnectionIDs: Sendable, Hashable {
    /// A connection ID and the sequence number its issuer gave it (RFC 9000 §5.1.1).
    public struct Entry: Sendable, Hashable {
        public var sequence: UInt64
        public var id: ConnectionID

        public init(sequence: UInt64, id: ConnectionID) {
            self.sequence = sequence
            self.id = id
        }
    }

    /// Every ID we issued that is still routed to the connection, by ascending sequence number. Those below
    /// `localRetirePriorTo` were rotated out and wait for the peer's RETIRE_CONNECTION_ID.
    public var local: [Entry]
    /// Our Retire Prior To (RFC 9000 §19.15).
    public var localRetirePriorTo: UInt64
    /// The peer's ID we put in the packets we send.
    public var peer: Entry
    /// Further IDs the peer issued that we have not used yet (for a new path, RFC 9000 §9.5), ascending.
    public var peerSpare: [Entry]
    /// The largest Retire Prior To the peer sent.
    public var peerRetirePriorTo: UInt64

    public init(local: [Entry], localRetirePriorTo: UInt64, peer: Entry, peerSpare: [Entry], peerRetirePriorTo: UInt64) {
        self.local = local
        self.localRetirePriorTo = localRetirePriorTo
        self.peer = peer
        self.peerSpare = peerSpare
        self.peerRetirePriorTo = peerRetirePriorTo
    }

    /// Our IDs the peer may use: issued, not rotated out.
    public var localActive: [Entry] { local.filter { $0.sequence >= localRetirePriorTo } }
}
