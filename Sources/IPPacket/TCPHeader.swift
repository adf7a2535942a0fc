// MARK: - TCP header (RFC 9293 §3.1)
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// |                        Sequence Number                        |
// |                    Acknowledgment Number                      |
// |  Data |       |C|E|U|A|P|R|S|F|                               |
// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
// |           Checksum            |         Urgent Pointer        |
// |                           [Options]                           |

/// A TCP header: the result of parsing and the input of `IPPacketBuilder.tcp`.
public struct TCPHeader: Hashable, Sendable {
    /// The header without options.
    public static let minimumLength = 20

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var flags: TCPFlags
    /// The raw (unscaled) window field.
    public var window: UInt16
    /// The checksum as received (builders compute their own).
    public var checksum: UInt16
    public var urgentPointer: UInt16
    public var options: TCPOptions

    /// Header length in bytes including options (data offset × 4).
    public var headerLength: Int { Self.minimumLength + options.encodedLength }

    /// A header to build.
    public init(sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32, acknowledgmentNumber: UInt32,
                flags: TCPFlags, window: UInt16, urgentPointer: UInt16 = 0, options: TCPOptions = TCPOptions()) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.window = window
        checksum = 0
        self.urgentPointer = urgentPointer
        self.options = options
    }

    // MARK: - Parsing

    /// Parses the header at the start of `segment` (header + payload) and returns it with the
    /// header length found on the wire. The checksum is verified by `IPPacket`, which knows the pseudo-header.
    static func parse(_ segment: UnsafeRawBufferPointer) throws(IPPacketError) -> (TCPHeader, headerLength: Int) {
        guard segment.count >= minimumLength else { throw .truncated(.tcp) }
        let dataOffset = Int(segment[12] >> 4) * 4
        guard dataOffset >= minimumLength else { throw .badHeaderLength(.tcp) }
        guard dataOffset <= segment.count else { throw .truncated(.tcp) }
        let options = try TCPOptions(parsing: UnsafeRawBufferPointer(rebasing: segment[minimumLength..<dataOffset]))
        var header = TCPHeader(
            sourcePort: segment.be16(0), destinationPort: segment.be16(2),
            sequenceNumber: segment.be32(4), acknowledgmentNumber: segment.be32(8),
            flags: TCPFlags(rawValue: segment[13]), window: segment.be16(14),
            urgentPointer: segment.be16(18), options: options)
        header.checksum = segment.be16(16)
        return (header, dataOffset)
    }

    // MARK: - Encoding

    /// Writes the header with a zero checksum field (the builder fills it in).
    func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBE16(sourcePort, at: 0)
        buffer.storeBE16(destinationPort, at: 2)
        buffer.storeBE32(sequenceNumber, at: 4)
        buffer.storeBE32(acknowledgmentNumber, at: 8)
        buffer[12] = UInt8(headerLength / 4) << 4
        buffer[13] = flags.rawValue
        buffer.storeBE16(window, at: 14)
        buffer.storeBE16(0, at: 16)
        buffer.storeBE16(urgentPointer, at: 18)
        options.write(to: UnsafeMutableRawBufferPointer(rebasing: buffer[Self.minimumLength...]))
    }
}
