import QUICNIO

/// One accepted relay connection as the runtime sees it (loop-confined, like the forwarder that owns it).
///
/// A reference, captured by the connection's on-loop DATAGRAM handler, so the forwarding path reads
/// `admitted` without a table lookup per datagram.
final class RelayMember {
    let connection: QUICNIOConnection
    /// The certificate passed verification and `RelayCore` knows the connection.
    var admitted = false
    /// DATAGRAMs that arrived while the certificate was being verified (bounded by `backlogLimit`),
    /// handed to the core once admitted.
    var backlog: [[UInt8]] = []
    /// Certificate facts, once verified: node name, canonical serial, the verified chain's roles.
    var name = ""
    var serial = ""

    /// A client that registers right after its handshake sends a few datagrams before verification ends.
    static let backlogLimit = 32

    init(connection: QUICNIOConnection) {
        self.connection = connection
    }
}
