public import NIOCore
public import QUICWire

extension FrameAddress {
    /// The UDP address `address` as the NAT traversal and OBSERVED_ADDRESS frames carry it; nil for a Unix
    /// socket address. Goes through NIO's textual form (`inet_ntop`), once per address change, never per packet.
    public init?(_ address: SocketAddress) {
        guard let port = address.port, let portValue = UInt16(exactly: port), let text = address.ipAddress else {
            return nil
        }
        switch address {
        case .v4:
            guard let value = Self.parseIPv4(Substring(text)) else { return nil }
            self.init(ip: .v4(value), port: portValue)
        case .v6:
            guard let groups = Self.parseIPv6(text) else { return nil }
            let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
            let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
            self.init(ip: .v6(high: high, low: low), port: portValue)
        case .unixDomainSocket:
            return nil
        }
    }

    /// The address as a socket address (never fails: 4 or 16 bytes are always a valid packed IP address).
    public var socketAddress: SocketAddress {
        // SocketAddress(packedIPAddress:) throws only for lengths other than 4 and 16.
        try! SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: Int(port))
    }

    /// `a.b.c.d` → its 32-bit value; nil unless four decimal parts of at most 255.
    private static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    /// RFC 4291 §2.2 text (with `::` and an embedded IPv4 tail, as `inet_ntop` writes them) → eight groups.
    private static func parseIPv6(_ text: String) -> [UInt16]? {
        let halves: [Substring]
        if let gap = text.firstRange(of: "::") {
            halves = [text[..<gap.lowerBound], text[gap.upperBound...]]
            guard halves[1].firstRange(of: "::") == nil else { return nil }
        } else {
            halves = [Substring(text)]
        }
        func groups(_ part: Substring) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = parseIPv4(piece) {
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                } else {
                    guard (1...4).contains(piece.count), let group = UInt16(piece, radix: 16) else { return nil }
                    result.append(group)
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
