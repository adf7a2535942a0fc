/// The shell's handle for one relay connection (a QUIC connection with ALPN `ztna-v1`).
///
/// The shell must never reuse an id while the core lives (a counter does): the core routes by it, and a
/// reused id could receive what was meant for its predecessor.
public struct RelayConnectionID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: RelayConnectionID, rhs: RelayConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "#\(rawValue)" }
}
