public import ZTNAProtocol

/// One relay message to send: the whole payload of one QUIC DATAGRAM frame on `connection`.
public struct RelayTransmit: Sendable, Hashable {
    public let connection: RelayConnectionID
    public let datagram: [UInt8]

    public init(connection: RelayConnectionID, datagram: [UInt8]) {
        self.connection = connection
        self.datagram = datagram
    }

    /// The datagram parsed back (convenient in tests and logs; the shell sends `datagram` as is).
    public var message: RelayMessage? { try? RelayMessage(parsing: datagram) }
}
