// MARK: - NewConnectionIDFrame

/// A NEW_CONNECTION_ID frame (RFC 9000 §19.15).
///
/// ```
/// NEW_CONNECTION_ID Frame {
///   Type (i) = 0x18, Sequence Number (i), Retire Prior To (i),
///   Length (8) = 1..20, Connection ID (8..160), Stateless Reset Token (128)
/// }
/// ```
public struct NewConnectionIDFrame: Hashable, Sendable {
    /// The sequence number the issuer assigned to this connection ID.
    public var sequence: UInt64
    /// Connection IDs with lower sequence numbers should be retired.
    public var retirePriorTo: UInt64
    /// The new connection ID: 1...20 bytes on the wire.
    public var connectionID: ConnectionID
    /// The token for a stateless reset of this connection ID.
    public var statelessResetToken: StatelessResetToken

    /// Creates a NEW_CONNECTION_ID frame.
    public init(sequence: UInt64, retirePriorTo: UInt64, connectionID: ConnectionID,
                statelessResetToken: StatelessResetToken) {
        self.sequence = sequence
        self.retirePriorTo = retirePriorTo
        self.connectionID = connectionID
        self.statelessResetToken = statelessResetToken
    }
}
