public import QUICWire

/// A QUIC stream ID (RFC 9000 §2.1): the two low bits say who opened it and whether it is bidirectional.
public struct StreamID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The `index`-th stream of a kind (RFC 9000 §2.1: id = index * 4 + type bits).
    init(index: UInt64, initiator: EndpointRole, bidirectional: Bool) {
        rawValue = index << 2 | (initiator == .server ? 1 : 0) | (bidirectional ? 0 : 2)
    }

    public var initiator: EndpointRole { rawValue & 1 == 0 ? .client : .server }
    public var isBidirectional: Bool { rawValue & 2 == 0 }
    /// The stream's position among the streams of its kind.
    var index: UInt64 { rawValue >> 2 }

    public static func < (lhs: StreamID, rhs: StreamID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "stream \(rawValue)" }
}
