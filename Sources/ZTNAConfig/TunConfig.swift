/// `"tun"` of `agent.json`: the split-tunnel interface (Linux TUN).
public struct TunConfig: Sendable, Hashable, Codable {
    public static let defaultName = "ztna0"
    public static let defaultMTU = 1280
    /// IPv4's minimum datagram size every host must accept (RFC 791); IPv6 needs 1280 (RFC 8200 §5).
    public static let mtuRange = 576...65_535

    public var name: String
    public var mtu: Int
    /// The interface's own address; nil leaves it unaddressed (routes only).
    public var address: IPAddressLiteral?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, mtu, address
    }

    public init(name: String = defaultName, mtu: Int = defaultMTU, address: IPAddressLiteral? = nil) {
        self.name = name
        self.mtu = mtu
        self.address = address
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? Self.defaultName
        mtu = try container.decodeIfPresent(Int.self, forKey: .mtu) ?? Self.defaultMTU
        address = try container.decodeIfPresent(IPAddressLiteral.self, forKey: .address)
        // Linux IFNAMSIZ is 16 including the NUL; '/' and whitespace are refused by the kernel.
        let validName = !name.isEmpty && name.utf8.count <= 15
            && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: ":") }
        guard validName else {
            throw ConfigIssue.invalid(container.path(.name), "\"\(name)\" is not an interface name (1–15 printable characters, no '/', ':')")
        }
        guard Self.mtuRange.contains(mtu) else {
            throw ConfigIssue.invalid(container.path(.mtu), "\(mtu) is outside \(Self.mtuRange.lowerBound)–\(Self.mtuRange.upperBound)")
        }
        if mtu < 1280, let address, !address.isIPv4 {
            throw ConfigIssue.invalid(container.path(.mtu), "an IPv6 interface needs an MTU of at least 1280 (RFC 8200 §5)")
        }
    }
}
