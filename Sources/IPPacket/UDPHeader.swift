// MARK: - UDP header (RFC 768)
//
// +--------+--------+--------+--------+
// |  Source Port    |  Dest. Port     |
// |  Length         |  Checksum       |

/// A UDP header.
public struct UDPHeader: Hashable, Sendable {
    public static let length = 8

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// Header plus payload length, as on the wire.
    public var length: UInt16
    /// As received; zero means "no checksum" (allowed for IPv4 only, RFC 768; RFC 8200 §8.1 forbids it for IPv6).
    public var checksum: UInt16

    public init(sourcePort: UInt16, destinationPort: UInt16, length: UInt16, checksum: UInt16 = 0) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.length = length
        self.checksum = checksum
    }

    /// Parses the header; the length field must be ≥ 8 and within `datagram`.
    static func parse(_ datagram: UnsafeRawBufferPointer) throws(IPPacketError) -> UDPHeader {
        guard datagram.count >= length else { throw .truncated(.udp) }
        let len = datagram.be16(4)
        guard Int(len) >= length else { throw .badHeaderLength(.udp) }
        guard Int(len) <= datagram.count else { throw .truncated(.udp) }
        return UDPHeader(sourcePort: datagram.be16(0), destinationPort: datagram.be16(2), length: len,
                         checksum: datagram.be16(6))
    }

    func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBE16(sourcePort, at: 0)
        buffer.storeBE16(destinationPort, at: 2)
        buffer.storeBE16(length, at: 4)
        buffer.storeBE16(0, at: 6)
    }
}
