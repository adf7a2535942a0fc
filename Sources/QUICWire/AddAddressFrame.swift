// MARK: - AddAddressFrame

/// An ADD_ADDRESS frame (draft-seemann-quic-nat-traversal-02 §4.6.1): the server advertises one of its
/// address candidates to the client, which pairs it with its own.
///
/// ```
/// ADD_ADDRESS Frame {
///   Type (i) = 0x3d7e90..0x3d7e91,
///   Sequence Number (i),
///   [ IPv4 (32) ], [ IPv6 (128) ],
///   Port (16),
/// }
/// ```
/// Only a server sends it (a server receiving one is a PROTOCOL_VIOLATION); ack-eliciting; retransmitted
/// when lost unless the address was withdrawn meanwhile.
public struct AddAddressFrame: Hashable, Sendable {
    /// The advertisement's sequence number; REMOVE_ADDRESS and PUNCH_ME_NOW refer to it.
    public var sequence: UInt64
    /// The advertised address.
    public var address: FrameAddress

    /// Creates an ADD_ADDRESS frame.
    public init(sequence: UInt64, address: FrameAddress) {
        self.sequence = sequence
        self.address = address
    }
}
