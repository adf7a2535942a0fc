/// Why bytes are not a relay message (DESIGN.md §3). The relay answers a malformed REGISTER with
/// REGISTER_NACK `01` and drops any other malformed message, counting it.
public struct RelayMessageError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// A zero-length datagram: no type byte.
        case empty
        /// A type byte that §3 does not define.
        case unknownType(UInt8)
        /// A defined type that this parser does not accept (`RelayDatagramHeader` takes only `0x2F`/`0x30`).
        case unexpectedType(RelayMessage.Kind)
        /// The message ends before a field it declares.
        case truncated
        /// Bytes after a message whose length is fully determined.
        case trailingBytes
        /// A service id that is not 1–63 bytes of `[a-z0-9-]` without a leading or trailing `-`.
        case invalidServiceID
        /// OBSERVED_ADDRESS whose address is neither 4 nor 16 bytes (total length not 7 or 19).
        case invalidAddressLength(Int)
        /// REGISTER_NACK with a reason other than `01`, `02`, `03`.
        case invalidNackReason(UInt8)
        /// SERVICE_STATUS with a state other than `00`, `01`.
        case invalidStatus(UInt8)
        /// REGISTER_ACK whose second byte is not `00`.
        case invalidAckStatus(UInt8)
    }

    public var reason: Reason
    /// The message type, when the type byte was recognised.
    public var kind: RelayMessage.Kind?

    public init(_ reason: Reason, kind: RelayMessage.Kind?) {
        self.reason = reason
        self.kind = kind
    }

    public var description: String {
        let what = kind.map { "\($0)" } ?? "relay message"
        return "\(what): \(reason)"
    }
}
