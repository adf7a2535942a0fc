// MARK: - IPv4 header (RFC 791 §3.1)
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |Type of Service|          Total Length         |
// |         Identification        |Flags|      Fragment Offset    |
// |  Time to Live |    Protocol   |         Header Checksum       |
// |                       Source Address                          |
// |                    Destination Address                        |
// |                    Options (IHL > 5, skipped)                 |

/// A parsed IPv4 header. Options are skipped (their length is honoured); builders never emit options.
public struct IPv4Header: Hashable, Sendable {
    /// The header without options.
    public static let minimumLength = 20

    /// Header length in bytes (IHL × 4, 20…60).
    public var headerLength: Int
    /// The Type of Service / DSCP+ECN byte.
    public var typeOfService: UInt8
    /// Total length of the datagram in bytes, header included.
    public var totalLength: UInt16
    /// Identification (RFC 6864: only meaningful for fragments).
    public var identification: UInt16
    /// DF flag.
    public var dontFragment: Bool
    /// MF flag.
    public var moreFragments: Bool
    /// Fragment offset in 8-byte units.
    public var fragmentOffset: UInt16
    /// Time to live.
    public var timeToLive: UInt8
    /// The payload's protocol.
    public var protocolNumber: IPProtocolNumber
    /// The header checksum as received (builders compute their own).
    public var headerChecksum: UInt16
    /// Source address.
    public var source: IPv4Address
    /// Destination address.
    public var destination: IPv4Address

    /// True for any fragment (first, middle or last): we do not reassemble.
    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }

    // MARK: - Parsing

    /// Parses and validates the header at the start of `bytes` (which may hold the whole packet).
    ///
    /// Checks: version 4, IHL ≥ 5, total length ≥ header length and ≤ the bytes present (trailing
    /// link padding is allowed and ignored), and the header checksum when `verifyChecksum` is set.
    public init(parsing bytes: UnsafeRawBufferPointer, verifyChecksum: Bool = true) throws(IPPacketError) {
        guard bytes.count >= Self.minimumLength else { throw .truncated(.ipv4) }
        let first = bytes[0]
        guard first >> 4 == 4 else { throw .badVersion(first >> 4) }
        let ihl = Int(first & 0x0F) * 4
        guard ihl >= Self.minimumLength else { throw .badHeaderLength(.ipv4) }
        guard bytes.count >= ihl else { throw .truncated(.ipv4) }
        let total = bytes.be16(2)
        guard Int(total) >= ihl else { throw .badHeaderLength(.ipv4) }
        guard Int(total) <= bytes.count else { throw .truncated(.ipv4) }
        if verifyChecksum {
            var sum = InternetChecksum()
            sum.add(UnsafeRawBufferPointer(rebasing: bytes[0..<ihl]))
            guard sum.isValid else { throw .badChecksum(.ipv4) }
        }
        let flagsFragment = bytes.be16(6)
        headerLength = ihl
        typeOfService = bytes[1]
        totalLength = total
        identification = bytes.be16(4)
        dontFragment = flagsFragment & 0x4000 != 0
        moreFragments = flagsFragment & 0x2000 != 0
        fragmentOffset = flagsFragment & 0x1FFF
        timeToLive = bytes[8]
        protocolNumber = IPProtocolNumber(rawValue: bytes[9])
        headerChecksum = bytes.be16(10)
        source = IPv4Address(bytes.be32(12))
        destination = IPv4Address(bytes.be32(16))
    }

    // MARK: - Building

    /// A 20-byte header for a datagram of `totalLength` bytes.
    public init(
        source: IPv4Address, destination: IPv4Address, protocolNumber: IPProtocolNumber, totalLength: UInt16,
        identification: UInt16 = 0, dontFragment: Bool = true, timeToLive: UInt8 = 64, typeOfService: UInt8 = 0
    ) {
        headerLength = Self.minimumLength
        self.typeOfService = typeOfService
        self.totalLength = totalLength
        self.identification = identification
        self.dontFragment = dontFragment
        moreFragments = false
        fragmentOffset = 0
        self.timeToLive = timeToLive
        self.protocolNumber = protocolNumber
        headerChecksum = 0
        self.source = source
        self.destination = destination
    }

    /// Writes the 20-byte header (no options) with a fresh checksum; `buffer` must hold ≥ 20 bytes.
    public func write(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.minimumLength, "IPv4 header needs 20 bytes")
        buffer[0] = 0x45
        buffer[1] = typeOfService
        buffer.storeBE16(totalLength, at: 2)
        buffer.storeBE16(identification, at: 4)
        let flags: UInt16 = (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | (fragmentOffset & 0x1FFF)
        buffer.storeBE16(flags, at: 6)
        buffer[8] = timeToLive
        buffer[9] = protocolNumber.rawValue
        buffer.storeBE16(0, at: 10)
        buffer.storeBE32(source.value, at: 12)
        buffer.storeBE32(destination.value, at: 16)
        var sum = InternetChecksum()
        sum.add(UnsafeRawBufferPointer(rebasing: buffer[0..<Self.minimumLength]))
        buffer.storeBE16(sum.checksum, at: 10)
    }
}
