// MARK: - A parsed IP packet: network header, transport header, payload range

/// A whole IPv4 or IPv6 packet, validated, with its transport header parsed.
///
/// Parsing is total: any byte string either yields a packet or throws `IPPacketError`.
/// - IPv4: options skipped; fragments are rejected with `.fragment` (no reassembly: the agent's TUN MTU
///   bounds what the kernel sends, and the tunnel never fragments).
/// - IPv6 (RFC 8200 §4): Hop-by-Hop, Routing and Destination Options headers are skipped (at most 8);
///   a Fragment header throws `.fragment`; ESP and AH throw `.unsupported(.ipv6)`; No Next Header yields
///   `.other` with an empty payload.
/// - Transport checksums are verified with the pseudo-header when `verifyChecksums` is set
///   (IPv4 UDP with a zero checksum is accepted as "no checksum"; IPv6 UDP with zero is `.unsupported`).
public struct IPPacket: Sendable {
    /// The network header.
    public enum Network: Hashable, Sendable {
        case v4(IPv4Header)
        case v6(IPv6Header)
    }

    /// The transport header, for the protocols we parse.
    public enum Transport: Hashable, Sendable {
        case tcp(TCPHeader)
        case udp(UDPHeader)
        case icmpv4(ICMPv4Message)
        case icmpv6(ICMPv6Message)
        /// Any other protocol, not parsed (payload = the whole upper-layer bytes).
        case other(IPProtocolNumber)
    }

    /// The packet as received (trailing bytes beyond the IP length included, if any).
    public let bytes: [UInt8]
    /// The network header.
    public let network: Network
    /// The transport header.
    public let transport: Transport
    /// Where the transport header starts and the IP payload ends.
    public let transportRange: Range<Int>
    /// The transport payload: TCP/UDP data, ICMP echo data or the quoted packet of an ICMP error.
    public let payloadRange: Range<Int>

    // MARK: - Accessors

    /// Source and destination.
    public var addresses: IPAddressPair {
        switch network {
        case .v4(let h): .v4(source: h.source, destination: h.destination)
        case .v6(let h): .v6(source: h.source, destination: h.destination)
        }
    }

    /// The transport payload bytes (a slice of `bytes`, no copy).
    public var payload: ArraySlice<UInt8> { bytes[payloadRange] }

    /// The IP version nibble of the first byte, without validating anything; nil for an empty buffer.
    public static func version(of bytes: [UInt8]) -> UInt8? { bytes.first.map { $0 >> 4 } }

    // MARK: - Parsing

    /// Parses and validates a whole packet.
    public init(parsing bytes: [UInt8], verifyChecksums: Bool = true) throws(IPPacketError) {
        let result = bytes.withUnsafeBytes { raw in Self.parse(raw, verifyChecksums: verifyChecksums) }
        let parsed = try result.get()
        self.bytes = bytes
        network = parsed.network
        transport = parsed.transport
        transportRange = parsed.transportRange
        payloadRange = parsed.payloadRange
    }

    private struct Parsed {
        var network: Network
        var transport: Transport
        var transportRange: Range<Int>
        var payloadRange: Range<Int>
    }

    /// Upper bound on IPv6 extension headers walked before giving up (bounds work on hostile input).
    static let maxExtensionHeaders = 8

    private static func parse(_ raw: UnsafeRawBufferPointer, verifyChecksums: Bool) -> Result<Parsed, IPPacketError> {
        do throws(IPPacketError) {
            guard let first = raw.first else { throw .truncated(.ipv4) }
            switch first >> 4 {
            case 4:
                let h = try IPv4Header(parsing: raw, verifyChecksum: verifyChecksums)
                if h.isFragment { throw .fragment }
                let range = h.headerLength..<Int(h.totalLength)
                let pair = IPAddressPair.v4(source: h.source, destination: h.destination)
                let (t, p) = try parseTransport(raw, range, h.protocolNumber, pair, verifyChecksums)
                return .success(Parsed(network: .v4(h), transport: t, transportRange: range, payloadRange: p))
            case 6:
                let h = try IPv6Header(parsing: raw)
                let end = IPv6Header.length + Int(h.payloadLength)
                var next = h.nextHeader
                var offset = IPv6Header.length
                var walked = 0
                // RFC 8200 §4: extension headers in order; each is (next, len) with len in 8-octet units + 1.
                while next == .hopByHopOptions || next == .ipv6Routing || next == .ipv6DestinationOptions {
                    guard walked < maxExtensionHeaders else { throw .unsupported(.ipv6) }
                    guard end - offset >= 8 else { throw .truncated(.ipv6) }
                    let length = (Int(raw[offset + 1]) + 1) * 8
                    guard length <= end - offset else { throw .truncated(.ipv6) }
                    next = IPProtocolNumber(rawValue: raw[offset])
                    offset += length
                    walked += 1
                }
                if next == .ipv6Fragment { throw .fragment }
                if next == .esp || next == .authenticationHeader { throw .unsupported(.ipv6) }
                let range = offset..<end
                let pair = IPAddressPair.v6(source: h.source, destination: h.destination)
                if next == .ipv6NoNextHeader {
                    return .success(Parsed(network: .v6(h), transport: .other(next), transportRange: range,
                                           payloadRange: end..<end))
                }
                let (t, p) = try parseTransport(raw, range, next, pair, verifyChecksums)
                return .success(Parsed(network: .v6(h), transport: t, transportRange: range, payloadRange: p))
            default:
                throw .badVersion(first >> 4)
            }
        } catch {
            return .failure(error)
        }
    }

    private static func parseTransport(
        _ raw: UnsafeRawBufferPointer, _ range: Range<Int>, _ proto: IPProtocolNumber, _ pair: IPAddressPair,
        _ verify: Bool
    ) throws(IPPacketError) -> (Transport, Range<Int>) {
        let l4 = UnsafeRawBufferPointer(rebasing: raw[range])
        switch proto {
        case .tcp:
            let (header, headerLength) = try TCPHeader.parse(l4)
            if verify {
                var sum = InternetChecksum()
                sum.addPseudoHeader(pair, protocolNumber: .tcp, length: l4.count)
                sum.add(l4)
                guard sum.isValid else { throw .badChecksum(.tcp) }
            }
            return (.tcp(header), (range.lowerBound + headerLength)..<range.upperBound)
        case .udp:
            let header = try UDPHeader.parse(l4)
            let datagram = UnsafeRawBufferPointer(rebasing: l4[0..<Int(header.length)])
            if header.checksum == 0 {
                // RFC 768: zero = not computed (IPv4 only); RFC 8200 §8.1: IPv6 receivers discard it.
                if case .v6 = pair { throw .unsupported(.udp) }
            } else if verify {
                var sum = InternetChecksum()
                sum.addPseudoHeader(pair, protocolNumber: .udp, length: datagram.count)
                sum.add(datagram)
                guard sum.isValid else { throw .badChecksum(.udp) }
            }
            return (.udp(header), (range.lowerBound + UDPHeader.length)..<(range.lowerBound + Int(header.length)))
        case .icmp:
            guard case .v4 = pair else { return (.other(proto), range) }
            let message = try ICMPv4Message.parse(l4)
            if verify {
                var sum = InternetChecksum()
                sum.add(l4)
                guard sum.isValid else { throw .badChecksum(.icmpv4) }
            }
            return (.icmpv4(message), (range.lowerBound + ICMPv4Message.headerLength)..<range.upperBound)
        case .icmpv6:
            guard case .v6 = pair else { return (.other(proto), range) }
            let message = try ICMPv6Message.parse(l4)
            if verify {
                var sum = InternetChecksum()
                sum.addPseudoHeader(pair, protocolNumber: .icmpv6, length: l4.count)
                sum.add(l4)
                guard sum.isValid else { throw .badChecksum(.icmpv6) }
            }
            return (.icmpv6(message), (range.lowerBound + ICMPv6Message.headerLength)..<range.upperBound)
        default:
            return (.other(proto), range)
        }
    }
}
