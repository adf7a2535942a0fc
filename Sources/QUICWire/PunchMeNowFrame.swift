// MARK: - PunchMeNowFrame

/// A PUNCH_ME_NOW frame (draft-seemann-quic-nat-traversal-02 §4.6.2): the client names an address pair
/// it is about to probe — one of its own addresses, paired with the server's advertisement `pairedWith` —
/// and asks the server to start path validation towards `address` at once, so that both NATs open a
/// mapping for the other.
///
/// ```
/// PUNCH_ME_NOW Frame {
///   Type (i) = 0x3d7e92..0x3d7e93,
///   Round (i),
///   Paired With Sequence Number (i),
///   [ IPv4 (32) ], [ IPv6 (128) ],
///   Port (16),
/// }
/// ```
/// Only a client sends it (a client receiving one is a PROTOCOL_VIOLATION); ack-eliciting. A frame with a
/// higher `round` cancels the server's probes of every lower round (§4.4).
public struct PunchMeNowFrame: Hashable, Sendable {
    /// The NAT traversal attempt this pair belongs to.
    public var round: UInt64
    /// The sequence number of the server's ADD_ADDRESS this address is paired with.
    public var pairedWith: UInt64
    /// The client's address the server should probe.
    public var address: FrameAddress

    /// Creates a PUNCH_ME_NOW frame.
    public init(round: UInt64, pairedWith: UInt64, address: FrameAddress) {
        self.round = round
        self.pairedWith = pairedWith
        self.address = address
    }
}
