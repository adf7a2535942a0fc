/// Application error codes in the relay's CONNECTION_CLOSE (RFC 9000 §20.2): why it ended a connection.
/// Documented in docs/protocol.md; clients log them and reconnect with backoff (or, for `unauthorized`,
/// stop until their credentials change).
public enum RelayCloseCode: UInt64, Sendable, Hashable, CaseIterable {
    /// The relay is shutting down (SIGTERM/SIGINT).
    case shutdown = 0x00
    /// The certificate does not verify for a relay client (dates, key usage, CA) or is revoked.
    case unauthorized = 0x01
    /// The client did not offer the DATAGRAM extension (DESIGN.md §3 requires it).
    case datagramsRequired = 0x02
    /// `RelayLimits.maxConnections` connections are live.
    case capacity = 0x03

    /// Metrics label (`ztna_handshake_failures_total{reason="relay_unauthorized"}` …).
    public var label: String {
        switch self {
        case .shutdown: "relay_shutdown"
        case .unauthorized: "relay_unauthorized"
        case .datagramsRequired: "relay_datagrams_required"
        case .capacity: "relay_capacity"
        }
    }
}
