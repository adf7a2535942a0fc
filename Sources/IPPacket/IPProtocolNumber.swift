// MARK: - IP protocol numbers (IANA "Assigned Internet Protocol Numbers")

/// The IPv4 Protocol / IPv6 Next Header value. One place for every protocol number.
public struct IPProtocolNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let hopByHopOptions = IPProtocolNumber(rawValue: 0)
    public static let icmp = IPProtocolNumber(rawValue: 1)
    public static let tcp = IPProtocolNumber(rawValue: 6)
    public static let udp = IPProtocolNumber(rawValue: 17)
    public static let ipv6Routing = IPProtocolNumber(rawValue: 43)
    public static let ipv6Fragment = IPProtocolNumber(rawValue: 44)
    public static let esp = IPProtocolNumber(rawValue: 50)
    public static let authenticationHeader = IPProtocolNumber(rawValue: 51)
    public static let icmpv6 = IPProtocolNumber(rawValue: 58)
    public static let ipv6NoNextHeader = IPProtocolNumber(rawValue: 59)
    public static let ipv6DestinationOptions = IPProtocolNumber(rawValue: 60)

    public var description: String {
        switch self {
        case .icmp: "icmp"
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmpv6: "icmpv6"
        default: "proto(\(rawValue))"
        }
    }
}
