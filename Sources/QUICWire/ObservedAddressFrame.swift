// MARK: - ObservedAddressFrame

/// An OBSERVED_ADDRESS frame (draft-ietf-quic-address-discovery §4): the source address and port the
/// sender saw on the path the frame travels, so the receiver learns its server-reflexive address.
///
/// ```
/// OBSERVED_ADDRESS Frame {
///   Type (i) = 0x9f81a6..0x9f81a7,
///   Sequence Number (i),
///   [ IPv4 (32) ], [ IPv6 (128) ],
///   Port (16),
/// }
/// ```
/// Either role may send it, but only to a peer whose address_discovery transport parameter asked for
/// observations (1 or 2); anything else is a PROTOCOL_VIOLATION. It is a probing frame (it may travel on
/// a path being validated without migrating the connection) and may appear in 0-RTT and 1-RTT packets.
/// A receiver keeps the observation with the highest sequence number.
public struct ObservedAddressFrame: Hashable, Sendable {
    /// Increases with every observation the sender reports.
    public var sequence: UInt64
    /// The observed address.
    public var address: FrameAddress

    /// Creates an OBSERVED_ADDRESS frame.
    public init(sequence: UInt64, address: FrameAddress) {
        self.sequence = sequence
        self.address = address
    }
}
