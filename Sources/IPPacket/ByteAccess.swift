// MARK: - Big-endian loads and stores (callers check bounds first)

extension UnsafeRawBufferPointer {
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func be64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func storeBE16(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always)
    func storeBE32(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inline(__always)
    func storeBE64(_ value: UInt64, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
    }
}

extension InternetChecksum {
    /// Adds the RFC 9293 §3.1 / RFC 768 pseudo-header for IPv4 or the RFC 8200 §8.1 one for IPv6.
    @inline(__always)
    mutating func addPseudoHeader(_ addresses: IPAddressPair, protocolNumber: IPProtocolNumber, length: Int) {
        switch addresses {
        case .v4(let s, let d):
            add(word: UInt16(truncatingIfNeeded: s.value >> 16))
            add(word: UInt16(truncatingIfNeeded: s.value))
            add(word: UInt16(truncatingIfNeeded: d.value >> 16))
            add(word: UInt16(truncatingIfNeeded: d.value))
            add(word: UInt16(protocolNumber.rawValue))
            add(word: UInt16(truncatingIfNeeded: length))
        case .v6(let s, let d):
            for half in [s.high, s.low, d.high, d.low] {
                add(word: UInt16(truncatingIfNeeded: half >> 48))
                add(word: UInt16(truncatingIfNeeded: half >> 32))
                add(word: UInt16(truncatingIfNeeded: half >> 16))
                add(word: UInt16(truncatingIfNeeded: half))
            }
            add(word: UInt16(truncatingIfNeeded: length >> 16))
            add(word: UInt16(truncatingIfNeeded: length))
            add(word: UInt16(protocolNumber.rawValue))
        }
    }
}

/// Source and destination of one packet, of one family by construction.
public enum IPAddressPair: Hashable, Sendable {
    case v4(source: IPv4Address, destination: IPv4Address)
    case v6(source: IPv6Address, destination: IPv6Address)

    /// The source address.
    public var source: IPAddress {
        switch self {
        case .v4(let s, _): .v4(s)
        case .v6(let s, _): .v6(s)
        }
    }

    /// The destination address.
    public var destination: IPAddress {
        switch self {
        case .v4(_, let d): .v4(d)
        case .v6(_, let d): .v6(d)
        }
    }

    /// The same pair with source and destination swapped (for replies).
    public var reversed: IPAddressPair {
        switch self {
        case .v4(let s, let d): .v4(source: d, destination: s)
        case .v6(let s, let d): .v6(source: d, destination: s)
        }
    }

    /// A pair from two addresses of the same family; nil when the families differ.
    public init?(source: IPAddress, destination: IPAddress) {
        switch (source, destination) {
        case (.v4(let s), .v4(let d)): self = .v4(source: s, destination: d)
        case (.v6(let s), .v6(let d)): self = .v6(source: s, destination: d)
        default: return nil
        }
    }
}
