// MARK: - ICMPv4 (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) messages we act on
//
// Both share the first 8 bytes: type(1) code(1) checksum(2) and 4 type-specific bytes; the rest is
// echo data or, for errors, as much of the offending packet as fits.

/// The ICMPv4 messages we understand; anything else is `.other`.
public enum ICMPv4Message: Hashable, Sendable {
    /// Type 8.
    case echoRequest(identifier: UInt16, sequence: UInt16)
    /// Type 0.
    case echoReply(identifier: UInt16, sequence: UInt16)
    /// Type 3 code 4 "fragmentation needed and DF set" with the RFC 1191 next-hop MTU.
    case fragmentationNeeded(nextHopMTU: UInt16)
    /// Any other type/code.
    case other(type: UInt8, code: UInt8)

    /// Wire type numbers.
    public enum MessageType {
        public static let echoReply: UInt8 = 0
        public static let destinationUnreachable: UInt8 = 3
        public static let echoRequest: UInt8 = 8
        /// Destination unreachable code 4.
        public static let fragmentationNeededCode: UInt8 = 4
    }

    /// The header is 8 bytes for every type we build.
    public static let headerLength = 8

    static func parse(_ message: UnsafeRawBufferPointer) throws(IPPacketError) -> ICMPv4Message {
        guard message.count >= headerLength else { throw .truncated(.icmpv4) }
        let type = message[0], code = message[1]
        switch (type, code) {
        case (MessageType.echoRequest, 0): return .echoRequest(identifier: message.be16(4), sequence: message.be16(6))
        case (MessageType.echoReply, 0): return .echoReply(identifier: message.be16(4), sequence: message.be16(6))
        case (MessageType.destinationUnreachable, MessageType.fragmentationNeededCode):
            return .fragmentationNeeded(nextHopMTU: message.be16(6))
        default: return .other(type: type, code: code)
        }
    }

    /// Writes the 8-byte header with a zero checksum; `.other` writes zero type-specific bytes.
    func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBE32(0, at: 4)
        buffer.storeBE16(0, at: 2)
        switch self {
        case .echoRequest(let id, let seq):
            buffer[0] = MessageType.echoRequest; buffer[1] = 0
            buffer.storeBE16(id, at: 4); buffer.storeBE16(seq, at: 6)
        case .echoReply(let id, let seq):
            buffer[0] = MessageType.echoReply; buffer[1] = 0
            buffer.storeBE16(id, at: 4); buffer.storeBE16(seq, at: 6)
        case .fragmentationNeeded(let mtu):
            buffer[0] = MessageType.destinationUnreachable
            buffer[1] = MessageType.fragmentationNeededCode
            buffer.storeBE16(mtu, at: 6)
        case .other(let type, let code):
            buffer[0] = type
            buffer[1] = code
        }
    }
}

/// The ICMPv6 messages we understand; anything else is `.other`.
public enum ICMPv6Message: Hashable, Sendable {
    /// Type 128 (RFC 4443 §4.1).
    case echoRequest(identifier: UInt16, sequence: UInt16)
    /// Type 129 (RFC 4443 §4.2).
    case echoReply(identifier: UInt16, sequence: UInt16)
    /// Type 2 (RFC 4443 §3.2).
    case packetTooBig(mtu: UInt32)
    /// Any other type/code.
    case other(type: UInt8, code: UInt8)

    /// Wire type numbers.
    public enum MessageType {
        public static let packetTooBig: UInt8 = 2
        public static let echoRequest: UInt8 = 128
        public static let echoReply: UInt8 = 129
    }

    public static let headerLength = 8

    static func parse(_ message: UnsafeRawBufferPointer) throws(IPPacketError) -> ICMPv6Message {
        guard message.count >= headerLength else { throw .truncated(.icmpv6) }
        let type = message[0], code = message[1]
        switch (type, code) {
        case (MessageType.echoRequest, 0): return .echoRequest(identifier: message.be16(4), sequence: message.be16(6))
        case (MessageType.echoReply, 0): return .echoReply(identifier: message.be16(4), sequence: message.be16(6))
        case (MessageType.packetTooBig, 0): return .packetTooBig(mtu: message.be32(4))
        default: return .other(type: type, code: code)
        }
    }

    func write(to buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBE32(0, at: 4)
        buffer.storeBE16(0, at: 2)
        switch self {
        case .echoRequest(let id, let seq):
            buffer[0] = MessageType.echoRequest; buffer[1] = 0
            buffer.storeBE16(id, at: 4); buffer.storeBE16(seq, at: 6)
        case .echoReply(let id, let seq):
            buffer[0] = MessageType.echoReply; buffer[1] = 0
            buffer.storeBE16(id, at: 4); buffer.storeBE16(seq, at: 6)
        case .packetTooBig(let mtu):
            buffer[0] = MessageType.packetTooBig; buffer[1] = 0
            buffer.storeBE32(mtu, at: 4)
        case .other(let type, let code):
            buffer[0] = type; buffer[1] = code
        }
    }
}
