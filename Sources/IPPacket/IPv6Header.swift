// MARK: - IPv6 fixed header (RFC 8200 §3)
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version| Traffic Class |           Flow Label                  |
// |         Payload Length        |  Next Header  |   Hop Limit   |
// |                Source Address (128 bits)                      |
// |             Destination Address (128 bits)                    |

/// A parsed IPv6 fixed header. Extension headers are walked by `IPPacket` (see there).
public struct IPv6Header: Hashable, Sendable {
    /// The fixed header's length.
    public static let length = 40

    /// Traffic class (DSCP + ECN).
    public var trafficClass: UInt8
    /// Flow label (20 bits).
    public var flowLabel: UInt32
    /// Length of everything after the fixed header, extension headers included.
    public var payloadLength: UInt16
    /// The first Next Header value.
    public var nextHeader: IPProtocolNumber
    /// Hop limit.
    public var hopLimit: UInt8
    /// Source address.
    public var source: IPv6Address
    /// Destination address.
    public var destination: IPv6Address

    // MARK: - Parsing

    /// Parses the fixed header; checks the version and that the payload length fits the bytes present.
    /// (A zero payload length means a Jumbo Payload option, RFC 2675: not supported.)
    public init(parsing bytes: UnsafeRawBufferPointer) throws(IPPacketError) {
        guard bytes.count >= Self.length else { throw .truncated(.ipv6) }
        let word = bytes.be32(0)
        guard word >> 28 == 6 else { throw .badVersion(UInt8(truncatingIfNeeded: word >> 28)) }
        let payload = bytes.be16(4)
        guard Int(payload) <= bytes.count - Self.length else { throw .truncated(.ipv6) }
        trafficClass = UInt8(truncatingIfNeeded: word >> 20)
        flowLabel = word & 0x000F_FFFF
        payloadLength = payload
        nextHeader = IPProtocolNumber(rawValue: bytes[6])
        hopLimit = bytes[7]
        source = IPv6Address(high: bytes.be64(8), low: bytes.be64(16))
        destination = IPv6Address(high: bytes.be64(24), low: bytes.be64(32))
    }

    // MARK: - Building

    /// A fixed header carrying `payloadLength` bytes of `nextHeader`.
    public init(
        source: IPv6Address, destination: IPv6Address, nextHeader: IPProtocolNumber, payloadLength: UInt16,
        hopLimit: UInt8 = 64, trafficClass: UInt8 = 0, flowLabel: UInt32 = 0
    ) {
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel & 0x000F_FFFF
        self.payloadLength = payloadLength
        self.nextHeader = nextHeader
        self.hopLimit = hopLimit
        self.source = source
        self.destination = destination
    }

    /// Writes the 40-byte header; `buffer` must hold ≥ 40 bytes.
    public func write(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.length, "IPv6 header needs 40 bytes")
        buffer.storeBE32(6 << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0x000F_FFFF), at: 0)
        buffer.storeBE16(payloadLength, at: 4)
        buffer[6] = nextHeader.rawValue
        buffer[7] = hopLimit
        buffer.storeBE64(source.high, at: 8)
        buffer.storeBE64(source.low, at: 16)
        buffer.storeBE64(destination.high, at: 24)
        buffer.storeBE64(destination.low, at: 32)
    }
}
