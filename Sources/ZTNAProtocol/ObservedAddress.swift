/// A client's transport address as the relay sees it (DESIGN.md §3, OBSERVED_ADDRESS `0x01`): an IPv4 or
/// IPv6 address and a UDP port. On the wire, after the type byte: `addr(4) port(2)` or `addr(16) port(2)`,
/// big-endian, so the whole message is 7 or 19 bytes.
public struct ObservedAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family and bits; IPv6 is kept as two 64-bit halves so that the value needs no heap storage.
    public enum IP: Sendable, Hashable {
        case v4(UInt32)
        case v6(high: UInt64, low: UInt64)
    }

    public var ip: IP
    public var port: UInt16

    /// Encoded length of the IPv4 form after the type byte: address + port.
    public static let ipv4WireLength = 4 + 2
    /// Encoded length of the IPv6 form after the type byte: address + port.
    public static let ipv6WireLength = 16 + 2

    public init(ip: IP, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// An address from its 4 (IPv4) or 16 (IPv6) network-order bytes; nil for any other length.
    public init?<Bytes: Collection>(addressBytes bytes: Bytes, port: UInt16) where Bytes.Element == UInt8 {
        switch bytes.count {
        case 4:
            self.init(ip: .v4(Self.bigEndian(bytes)), port: port)
        case 16:
            let split = bytes.index(bytes.startIndex, offsetBy: 8)
            self.init(ip: .v6(high: Self.bigEndian(bytes[..<split]), low: Self.bigEndian(bytes[split...])), port: port)
        default:
            return nil
        }
    }

    /// The address in network byte order: 4 or 16 bytes.
    public var addressBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        switch ip {
        case .v4(let value):
            Self.append(value, byteCount: 4, to: &out)
        case .v6(let high, let low):
            Self.append(high, byteCount: 8, to: &out)
            Self.append(low, byteCount: 8, to: &out)
        }
        return out
    }

    /// Bytes this address occupies in OBSERVED_ADDRESS after the type byte.
    public var wireLength: Int {
        switch ip {
        case .v4: Self.ipv4WireLength
        case .v6: Self.ipv6WireLength
        }
    }

    // MARK: - Wire

    /// Appends `addr port` (no type byte).
    public func encode(into out: inout [UInt8]) {
        switch ip {
        case .v4(let value):
            Self.append(value, byteCount: 4, to: &out)
        case .v6(let high, let low):
            Self.append(high, byteCount: 8, to: &out)
            Self.append(low, byteCount: 8, to: &out)
        }
        Self.append(port, byteCount: 2, to: &out)
    }

    /// Parses exactly `addr(4) port(2)` or `addr(16) port(2)`; nil for any other length.
    public init?(wire bytes: ArraySlice<UInt8>) {
        let count = bytes.count
        guard count == Self.ipv4WireLength || count == Self.ipv6WireLength else { return nil }
        let portStart = bytes.endIndex - 2
        let port = UInt16(bytes[portStart]) << 8 | UInt16(bytes[portStart + 1])
        self.init(addressBytes: bytes[bytes.startIndex..<portStart], port: port)
    }

    // MARK: - Text

    /// `203.0.113.7:4433` or `[2001:db8::1]:4433` (RFC 5952 §4 text form, §6 brackets with a port).
    public var description: String {
        switch ip {
        case .v4: "\(addressDescription):\(port)"
        case .v6: "[\(addressDescription)]:\(port)"
        }
    }

    /// The address alone: dotted quad, or RFC 5952 IPv6 text (lower-case hex, no leading zeros, the longest
    /// run of two or more zero groups — the first one on a tie — as `::`; IPv4-mapped as `::ffff:a.b.c.d`, §5).
    public var addressDescription: String {
        switch ip {
        case .v4(let value):
            return Self.dottedQuad(value)
        case .v6(let high, let low):
            if high == 0, low >> 32 == 0xFFFF {
                return "::ffff:" + Self.dottedQuad(UInt32(truncatingIfNeeded: low))
            }
            let groups = (0..<8).map { index -> UInt16 in
                let half = index < 4 ? high : low
                return UInt16(truncatingIfNeeded: half >> (UInt64(3 - index % 4) * 16))
            }
            return Self.ipv6Text(groups)
        }
    }

    // MARK: - Helpers

    private static func bigEndian<Bytes: Collection, Value: FixedWidthInteger>(_ bytes: Bytes) -> Value
    where Bytes.Element == UInt8 {
        bytes.reduce(Value.zero) { $0 << 8 | Value($1) }
    }

    private static func append<Value: FixedWidthInteger>(_ value: Value, byteCount: Int, to out: inout [UInt8]) {
        for shift in stride(from: (byteCount - 1) * 8, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    private static func dottedQuad(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    private static func ipv6Text(_ groups: [UInt16]) -> String {
        // RFC 5952 §4.2: compress the longest run (length ≥ 2) of zero groups, the first on a tie.
        var bestStart = -1, bestLength = 1
        var runStart = -1
        for index in 0...groups.count {
            if index < groups.count, groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<groups.count) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<groups.count)
    }
}
