// MARK: - FrameAddress

/// An IP address and UDP port as the NAT traversal frames (draft-seemann-quic-nat-traversal-02 §4.6) and
/// OBSERVED_ADDRESS (draft-ietf-quic-address-discovery §4) carry them.
///
/// ```
/// [ IPv4 (32) ],   present when the low bit of the frame type is 0
/// [ IPv6 (128) ],  present when the low bit of the frame type is 1
/// Port (16),
/// ```
/// The family lives in the frame type, so a value of this type always knows which variant it needs.
public struct FrameAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address bytes in network order, kept as integers so a frame allocates nothing for them.
    public enum IP: Hashable, Sendable {
        /// An IPv4 address, big-endian.
        case v4(UInt32)
        /// An IPv6 address: the first and last 8 bytes, big-endian.
        case v6(high: UInt64, low: UInt64)
    }

    /// The address.
    public var ip: IP
    /// The UDP port.
    public var port: UInt16

    /// Creates an address from its parts.
    @inlinable
    public init(ip: IP, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Creates an address from 4 (IPv4) or 16 (IPv6) network-order bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>, port: UInt16) {
        switch bytes.count {
        case 4:
            ip = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            let high = bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes.dropFirst(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            ip = .v6(high: high, low: low)
        default:
            return nil
        }
        self.port = port
    }

    /// Whether this is an IPv6 address (the frame type's low bit).
    @inlinable
    public var isIPv6: Bool {
        if case .v6 = ip { return true }
        return false
    }

    /// The address bytes in network order: 4 or 16 of them.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        switch ip {
        case .v4(let value):
            out.appendUInt32(value)
        case .v6(let high, let low):
            out.appendUInt64(high)
            out.appendUInt64(low)
        }
        return out
    }

    /// The bytes this address takes on the wire: the address and the port.
    @inlinable
    public var wireLength: Int {
        (isIPv6 ? 16 : 4) + 2
    }

    /// `192.0.2.1:4433` or `[2001:db8::1]:4433` (IPv6 written as eight uncompressed groups).
    public var description: String {
        switch ip {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff):\(port)"
        case .v6(let high, let low):
            let groups = (0..<4).map { String(high >> (48 - 16 * $0) & 0xffff, radix: 16) }
                + (0..<4).map { String(low >> (48 - 16 * $0) & 0xffff, radix: 16) }
            return "[\(groups.joined(separator: ":"))]:\(port)"
        }
    }
}

// MARK: - Wire form

extension FrameAddress {
    /// Reads the address of the family `isIPv6` names, then the port.
    static func parse(isIPv6: Bool, from reader: inout ByteReader) throws(QUICWireError) -> FrameAddress {
        let ip: IP
        if isIPv6 {
            ip = .v6(high: try reader.readUInt64(), low: try reader.readUInt64())
        } else {
            ip = .v4(try reader.readUInt32())
        }
        return FrameAddress(ip: ip, port: try reader.readUInt16())
    }

    /// Appends the address, then the port.
    func encode(into buffer: inout [UInt8]) {
        switch ip {
        case .v4(let value):
            buffer.appendUInt32(value)
        case .v6(let high, let low):
            buffer.appendUInt64(high)
            buffer.appendUInt64(low)
        }
        buffer.appendUInt16(port)
    }
}
