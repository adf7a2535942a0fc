import RelayCore

/// The relay's counters at one instant, read on the event loop for a metrics scrape.
struct RelayMetricsSnapshot: Sendable {
    var core: RelayCounters
    /// Connections closed by the relay after the handshake, by reason.
    var refusals: [RelayCloseCode: UInt64]
    /// DATAGRAMs dropped because a client sent more than `RelayMember.backlogLimit` during verification.
    var backlogDrops: UInt64
    /// DATAGRAMs the QUIC connection refused to queue (closing connection, payload over the peer's limit).
    var sendFailures: UInt64
    /// DATAGRAMs dropped (oldest first) from full per-connection send queues.
    var sendQueueDrops: UInt64
    /// Connections whose certificate is being verified.
    var verifying: Int
}
