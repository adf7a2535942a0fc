/// The relay's handle for one agent connection (DESIGN.md §3): a random 64-bit id, 8 bytes big-endian on
/// the wire in PEER_DATAGRAM (`0x30`). Only the relay and connectors see it; agents never do.
///
/// The id is a routing label, not a secret: the relay forwards a connector's `0x30` only to an agent that
/// it assigned to that very connector, so guessing another agent's id gains nothing.
public struct PeerID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    /// The number of bytes of a peer id on the wire.
    public static let wireLength = 8

    @inlinable
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: PeerID, rhs: PeerID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Sixteen lower-case hex digits, zero-padded (stable width for logs and the status API).
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
