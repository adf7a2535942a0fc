// MARK: - TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018)

/// Control bits of a TCP header (RFC 9293 §3.1, RFC 3168 for ECE/CWR).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)
}

/// The TCP options we understand. Unknown options (and SACK blocks) are skipped when parsing.
public struct TCPOptions: Hashable, Sendable {
    /// RFC 7323 §3 timestamps.
    public struct Timestamps: Hashable, Sendable {
        public var value: UInt32
        public var echoReply: UInt32
        public init(value: UInt32, echoReply: UInt32) {
            self.value = value
            self.echoReply = echoReply
        }
    }

    /// Option kinds (IANA "TCP Option Kind Numbers").
    enum Kind {
        static let endOfList: UInt8 = 0
        static let noOperation: UInt8 = 1
        static let maximumSegmentSize: UInt8 = 2
        static let windowScale: UInt8 = 3
        static let sackPermitted: UInt8 = 4
        static let timestamps: UInt8 = 8
    }

    /// Maximum segment size (RFC 9293 §3.7.1), SYN only.
    public var maximumSegmentSize: UInt16?
    /// Window scale shift count (RFC 7323 §2), SYN only; values above 14 are clamped to 14 when parsed.
    public var windowScale: UInt8?
    /// SACK permitted (RFC 2018 §2), SYN only.
    public var sackPermitted: Bool
    /// Timestamps (RFC 7323 §3).
    public var timestamps: Timestamps?

    /// No options.
    public init(maximumSegmentSize: UInt16? = nil, windowScale: UInt8? = nil, sackPermitted: Bool = false,
                timestamps: Timestamps? = nil) {
        self.maximumSegmentSize = maximumSegmentSize
        self.windowScale = windowScale
        self.sackPermitted = sackPermitted
        self.timestamps = timestamps
    }

    // MARK: - Parsing

    /// Parses the option bytes of one header. A length byte below 2 or running past the options is
    /// malformed (RFC 9293 §3.1 asks receivers to survive illegal lengths): `.badHeaderLength(.tcp)`.
    /// A known kind with a wrong length is ignored, as Linux does.
    init(parsing bytes: UnsafeRawBufferPointer) throws(IPPacketError) {
        self.init()
        var i = 0
        let n = bytes.count
        while i < n {
            let kind = bytes[i]
            if kind == Kind.endOfList { break }
            if kind == Kind.noOperation { i += 1; continue }
            guard i + 1 < n else { throw .badHeaderLength(.tcp) }
            let length = Int(bytes[i + 1])
            guard length >= 2, length <= n - i else { throw .badHeaderLength(.tcp) }
            switch (kind, length) {
            case (Kind.maximumSegmentSize, 4):
                maximumSegmentSize = bytes.be16(i + 2)
            case (Kind.windowScale, 3):
                windowScale = min(bytes[i + 2], 14)  // RFC 7323 §2.3: treat larger shifts as 14.
            case (Kind.sackPermitted, 2):
                sackPermitted = true
            case (Kind.timestamps, 10):
                timestamps = Timestamps(value: bytes.be32(i + 2), echoReply: bytes.be32(i + 6))
            default:
                break
            }
            i += length
        }
    }

    // MARK: - Encoding

    /// Encoded length in bytes, a multiple of 4.
    public var encodedLength: Int {
        (maximumSegmentSize == nil ? 0 : 4) + (windowScale == nil ? 0 : 4)
            + (timestamps == nil ? (sackPermitted ? 4 : 0) : 12)
    }

    /// Writes the options (NOP-padded to 32-bit alignment, the layout Linux uses) at the start of `buffer`.
    func write(to buffer: UnsafeMutableRawBufferPointer) {
        var i = 0
        if let mss = maximumSegmentSize {
            buffer[i] = Kind.maximumSegmentSize; buffer[i + 1] = 4
            buffer.storeBE16(mss, at: i + 2)
            i += 4
        }
        if let ts = timestamps {
            if sackPermitted {
                buffer[i] = Kind.sackPermitted; buffer[i + 1] = 2
            } else {
                buffer[i] = Kind.noOperation; buffer[i + 1] = Kind.noOperation
            }
            buffer[i + 2] = Kind.timestamps; buffer[i + 3] = 10
            buffer.storeBE32(ts.value, at: i + 4)
            buffer.storeBE32(ts.echoReply, at: i + 8)
            i += 12
        } else if sackPermitted {
            buffer[i] = Kind.noOperation; buffer[i + 1] = Kind.noOperation
            buffer[i + 2] = Kind.sackPermitted; buffer[i + 3] = 2
            i += 4
        }
        if let ws = windowScale {
            buffer[i] = Kind.noOperation
            buffer[i + 1] = Kind.windowScale; buffer[i + 2] = 3; buffer[i + 3] = ws
            i += 4
        }
    }
}
