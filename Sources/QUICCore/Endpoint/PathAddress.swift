public import NIOCore
import QUICWire

/// An opaque handle for a relayed route, supplied by the embedding application (DESIGN.md §2).
///
/// A relayed path is a virtual path: packets "sent" to it are handed back to the application, which wraps
/// them into relay DATAGRAMs; packets arriving through the relay are fed in with the same route as source.
public struct RelayRoute: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "relay#\(rawValue)" }
}

/// The remote end of a path: a UDP socket address, or a relayed route (DESIGN.md §2).
public enum PathAddress: Hashable, Sendable, CustomStringConvertible {
    case udp(SocketAddress)
    case relayed(RelayRoute)

    public var description: String {
        switch self {
        case .udp(let address): return address.description
        case .relayed(let route): return route.description
        }
    }

    /// Bytes that identify this address, used to bind Retry tokens to the client (RFC 9000 §8.1.2).
    var tokenBinding: [UInt8] {
        switch self {
        case .udp(let address):
            return Array("udp|\(address.ipAddress ?? "?")|\(address.port ?? 0)".utf8)
        case .relayed(let route):
            var bytes = Array("relay|".utf8)
            bytes.appendUInt64(route.rawValue)
            return bytes
        }
    }
}
