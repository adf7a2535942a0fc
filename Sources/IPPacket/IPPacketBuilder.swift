// MARK: - Building whole packets with correct checksums

/// Fields of the network header that builders let callers choose (addresses come separately).
public struct IPHeaderFields: Hashable, Sendable {
    /// IPv4 TTL / IPv6 hop limit.
    public var hopLimit: UInt8
    /// IPv4 identification (RFC 6864: may be anything for atomic datagrams).
    public var identification: UInt16
    /// IPv4 DF (set: we rely on PMTU discovery, never fragmentation).
    public var dontFragment: Bool
    /// IPv4 TOS / IPv6 traffic class.
    public var trafficClass: UInt8
    /// IPv6 flow label.
    public var flowLabel: UInt32

    public init(hopLimit: UInt8 = 64, identification: UInt16 = 0, dontFragment: Bool = true,
                trafficClass: UInt8 = 0, flowLabel: UInt32 = 0) {
        self.hopLimit = hopLimit
        self.identification = identification
        self.dontFragment = dontFragment
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel
    }
}

/// Builders for whole IPv4/IPv6 packets. Each allocates exactly one array of the final size.
public enum IPPacketBuilder {
    /// The largest IP packet length (IPv4 total length / IPv6 payload length are 16 bits).
    public static let maximumPacketLength = 65535

    // MARK: - Generic

    /// Builds a packet whose upper-layer part is `upperLength` bytes, written by `writeUpper` into a
    /// zero-checksum buffer; the checksum at `checksumOffset` (within the upper layer) is then computed,
    /// with the pseudo-header when `pseudoHeader` is set.
    @inline(__always)
    static func build(
        _ addresses: IPAddressPair, _ proto: IPProtocolNumber, upperLength: Int, fields: IPHeaderFields,
        checksumOffset: Int, pseudoHeader: Bool, writeUpper: (UnsafeMutableRawBufferPointer) -> Void
    ) -> [UInt8] {
        let ipLength: Int
        switch addresses {
        case .v4: ipLength = IPv4Header.minimumLength
        case .v6: ipLength = IPv6Header.length
        }
        let total = ipLength + upperLength
        precondition(total <= maximumPacketLength || (ipLength == IPv6Header.length && upperLength <= 65535),
                     "packet too large")
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            switch addresses {
            case .v4(let s, let d):
                IPv4Header(source: s, destination: d, protocolNumber: proto, totalLength: UInt16(total),
                           identification: fields.identification, dontFragment: fields.dontFragment,
                           timeToLive: fields.hopLimit, typeOfService: fields.trafficClass).write(to: raw)
            case .v6(let s, let d):
                IPv6Header(source: s, destination: d, nextHeader: proto, payloadLength: UInt16(upperLength),
                           hopLimit: fields.hopLimit, trafficClass: fields.trafficClass,
                           flowLabel: fields.flowLabel).write(to: raw)
            }
            let upper = UnsafeMutableRawBufferPointer(rebasing: raw[ipLength..<total])
            writeUpper(upper)
            var sum = InternetChecksum()
            if pseudoHeader { sum.addPseudoHeader(addresses, protocolNumber: proto, length: upperLength) }
            sum.add(UnsafeRawBufferPointer(upper))
            var value = sum.checksum
            // RFC 768: a computed UDP checksum of zero is sent as all ones (zero means "none").
            if proto == .udp && value == 0 { value = 0xFFFF }
            upper.storeBE16(value, at: checksumOffset)
            count = total
        }
    }

    // MARK: - TCP

    /// A TCP segment whose payload of `payloadCount` bytes is written in place by `writePayload`
    /// (so a send buffer can copy straight into the packet).
    public static func tcp(
        _ addresses: IPAddressPair, header: TCPHeader, payloadCount: Int, fields: IPHeaderFields = IPHeaderFields(),
        writePayload: (UnsafeMutableRawBufferPointer) -> Void
    ) -> [UInt8] {
        let headerLength = header.headerLength
        return build(addresses, .tcp, upperLength: headerLength + payloadCount, fields: fields,
                     checksumOffset: 16, pseudoHeader: true) { upper in
            header.write(to: upper)
            writePayload(UnsafeMutableRawBufferPointer(rebasing: upper[headerLength...]))
        }
    }

    /// A TCP segment with `payload`.
    public static func tcp(_ addresses: IPAddressPair, header: TCPHeader, payload: [UInt8] = [],
                           fields: IPHeaderFields = IPHeaderFields()) -> [UInt8] {
        tcp(addresses, header: header, payloadCount: payload.count, fields: fields) { out in
            payload.withUnsafeBytes { out.copyMemory(from: $0) }
        }
    }

    // MARK: - UDP

    /// A UDP datagram.
    public static func udp(_ addresses: IPAddressPair, sourcePort: UInt16, destinationPort: UInt16,
                           payload: [UInt8], fields: IPHeaderFields = IPHeaderFields()) -> [UInt8] {
        let length = UDPHeader.length + payload.count
        precondition(length <= 65535, "UDP datagram too large")
        return build(addresses, .udp, upperLength: length, fields: fields, checksumOffset: 6, pseudoHeader: true) {
            UDPHeader(sourcePort: sourcePort, destinationPort: destinationPort, length: UInt16(length)).write(to: $0)
            let out = UnsafeMutableRawBufferPointer(rebasing: $0[UDPHeader.length...])
            payload.withUnsafeBytes { out.copyMemory(from: $0) }
        }
    }

    // MARK: - ICMP

    /// An ICMPv4 message (no pseudo-header, RFC 792).
    public static func icmpv4(source: IPv4Address, destination: IPv4Address, message: ICMPv4Message,
                              payload: [UInt8], fields: IPHeaderFields = IPHeaderFields()) -> [UInt8] {
        build(.v4(source: source, destination: destination), .icmp,
              upperLength: ICMPv4Message.headerLength + payload.count, fields: fields, checksumOffset: 2,
              pseudoHeader: false) {
            message.write(to: $0)
            let out = UnsafeMutableRawBufferPointer(rebasing: $0[ICMPv4Message.headerLength...])
            payload.withUnsafeBytes { out.copyMemory(from: $0) }
        }
    }

    /// An ICMPv6 message (pseudo-header, RFC 4443 §2.3).
    public static func icmpv6(source: IPv6Address, destination: IPv6Address, message: ICMPv6Message,
                              payload: [UInt8], fields: IPHeaderFields = IPHeaderFields()) -> [UInt8] {
        build(.v6(source: source, destination: destination), .icmpv6,
              upperLength: ICMPv6Message.headerLength + payload.count, fields: fields, checksumOffset: 2,
              pseudoHeader: true) {
            message.write(to: $0)
            let out = UnsafeMutableRawBufferPointer(rebasing: $0[ICMPv6Message.headerLength...])
            payload.withUnsafeBytes { out.copyMemory(from: $0) }
        }
    }

    /// ICMPv4 "fragmentation needed and DF set" (type 3 code 4, RFC 1191 §4) answering `original`,
    /// sent from `router` to the original source. Quotes the original IP header and as much data as keeps
    /// the error within 576 bytes (RFC 1812 §4.3.2.3). Nil when `original` has no valid IPv4 header.
    public static func fragmentationNeeded(for original: [UInt8], nextHopMTU: UInt16, from router: IPv4Address)
        -> [UInt8]? {
        let header: IPv4Header
        do {
            header = try original.withUnsafeBytes { raw in
                Result { () throws(IPPacketError) in try IPv4Header(parsing: raw) }
            }.get()
        } catch { return nil }
        let quoteLength = min(Int(header.totalLength), 576 - IPv4Header.minimumLength - ICMPv4Message.headerLength)
        return icmpv4(source: router, destination: header.source, message: .fragmentationNeeded(nextHopMTU: nextHopMTU),
                      payload: Array(original[0..<quoteLength]))
    }

    /// ICMPv6 "packet too big" (RFC 4443 §3.2) answering `original`, from `router` to the original source,
    /// quoting as much as keeps the error within the IPv6 minimum MTU of 1280 (RFC 4443 §2.4(c)).
    /// Nil when `original` has no valid IPv6 header.
    public static func packetTooBig(for original: [UInt8], mtu: UInt32, from router: IPv6Address) -> [UInt8]? {
        let header: IPv6Header
        do {
            header = try original.withUnsafeBytes { raw in
                Result { () throws(IPPacketError) in try IPv6Header(parsing: raw) }
            }.get()
        } catch { return nil }
        let available = IPv6Header.length + Int(header.payloadLength)
        let quoteLength = min(available, 1280 - IPv6Header.length - ICMPv6Message.headerLength)
        return icmpv6(source: router, destination: header.source, message: .packetTooBig(mtu: mtu),
                      payload: Array(original[0..<quoteLength]))
    }
}
