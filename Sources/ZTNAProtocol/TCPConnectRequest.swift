/// The request that opens a TCP flow on a tunnel stream (DESIGN.md §4): `01 port(2)`, the first three
/// bytes of a client-initiated bidirectional stream. The connector answers with one `TCPConnectStatus` byte;
/// after `connected` the stream carries the raw byte stream.
public struct TCPConnectRequest: Sendable, Hashable {
    /// The request type byte (the only request defined so far).
    public static let typeByte: UInt8 = 0x01
    /// The request's length: read exactly this many bytes from the stream before parsing.
    public static let wireLength = 3

    /// The service port the agent wants (the connector maps it to a backend, or answers `portNotOffered`).
    public var port: UInt16

    public init(port: UInt16) {
        self.port = port
    }

    /// Parses exactly `01 port(2)`.
    public init(parsing bytes: ArraySlice<UInt8>) throws(TunnelMessageError) {
        guard let type = bytes.first else { throw .truncated }
        guard type == Self.typeByte else { throw .unknownRequestType(type) }
        guard bytes.count >= Self.wireLength else { throw .truncated }
        guard bytes.count == Self.wireLength else { throw .trailingBytes }
        let start = bytes.startIndex
        port = UInt16(bytes[start + 1]) << 8 | UInt16(bytes[start + 2])
    }

    public init(parsing bytes: [UInt8]) throws(TunnelMessageError) {
        try self.init(parsing: bytes[...])
    }

    public var bytes: [UInt8] { [Self.typeByte, UInt8(truncatingIfNeeded: port >> 8), UInt8(truncatingIfNeeded: port)] }
}

/// Why bytes are not a tunnel-protocol message (DESIGN.md §4). A connector answers a bad request by
/// resetting the stream.
public enum TunnelMessageError: Error, Sendable, Hashable {
    case truncated
    case trailingBytes
    case unknownRequestType(UInt8)
    case unknownStatus(UInt8)
}
