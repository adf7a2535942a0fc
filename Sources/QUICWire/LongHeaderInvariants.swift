// MARK: - LongHeaderInvariants

/// The version-independent fields of a long header (RFC 8999 §5.1): enough to route a packet of an
/// unknown version and to answer it with Version Negotiation (RFC 9000 §6.1).
public struct LongHeaderInvariants: Hashable, Sendable {
    /// The version field.
    public var version: UInt32
    /// The destination connection ID.
    public var destinationConnectionID: ConnectionID
    /// The source connection ID.
    public var sourceConnectionID: ConnectionID

    /// Creates the invariant fields.
    public init(version: UInt32, destinationConnectionID: ConnectionID, sourceConnectionID: ConnectionID) {
        self.version = version
        self.destinationConnectionID = destinationConnectionID
        self.sourceConnectionID = sourceConnectionID
    }
}
