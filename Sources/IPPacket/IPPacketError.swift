// MARK: - Parse errors

/// Why a packet was rejected. Every parser in this module throws only this type.
public enum IPPacketError: Error, Hashable, Sendable {
    /// Which header or message a problem was found in.
    public enum Layer: Hashable, Sendable {
        case ipv4, ipv6, tcp, udp, icmpv4, icmpv6
    }

    /// Fewer bytes than the header or a length field says.
    case truncated(Layer)
    /// The IP version nibble is neither 4 nor 6 (or not the one a specific parser expects).
    case badVersion(UInt8)
    /// A header length (IPv4 IHL, TCP data offset, UDP length, IPv4 total length) is impossible.
    case badHeaderLength(Layer)
    /// The checksum does not verify (IPv4 header, or a transport checksum with its pseudo-header).
    case badChecksum(Layer)
    /// An IPv4 fragment or an IPv6 Fragment header: reassembly is not supported; the TUN MTU makes
    /// the kernel send whole packets, and fragments are counted and dropped.
    case fragment
    /// A header this module does not handle (e.g. IPv6 ESP/AH or too many extension headers,
    /// an IPv4 UDP/TCP option that is malformed, or an IPv6 UDP datagram with a zero checksum).
    case unsupported(Layer)
}
