/// The connector's one-byte answer to a `TCPConnectRequest` (DESIGN.md §4).
public enum TCPConnectStatus: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `00`: the backend accepted; the stream now carries the byte stream.
    case connected = 0x00
    /// `01`: the backend refused the connection (RST).
    case refused = 0x01
    /// `02`: the backend was unreachable or the connect timed out.
    case unreachable = 0x02
    /// `03`: this service does not offer the requested port.
    case portNotOffered = 0x03
    /// `04`: the connector is at a limit and refuses new flows.
    case busy = 0x04

    /// The length of a status on the stream.
    public static let wireLength = 1

    /// Parses exactly one status byte.
    public init(parsing bytes: ArraySlice<UInt8>) throws(TunnelMessageError) {
        guard let byte = bytes.first else { throw .truncated }
        guard bytes.count == Self.wireLength else { throw .trailingBytes }
        guard let status = TCPConnectStatus(rawValue: byte) else { throw .unknownStatus(byte) }
        self = status
    }

    public init(parsing bytes: [UInt8]) throws(TunnelMessageError) {
        try self.init(parsing: bytes[...])
    }

    public var bytes: [UInt8] { [rawValue] }

    public var description: String {
        switch self {
        case .connected: "connected"
        case .refused: "refused"
        case .unreachable: "unreachable"
        case .portNotOffered: "port_not_offered"
        case .busy: "busy"
        }
    }
}
