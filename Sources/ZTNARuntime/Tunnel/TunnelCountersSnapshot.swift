public import ZTNAProtocol

/// The values of a `TunnelCounters` at one scrape, for metrics export and status pages.
public struct TunnelCountersSnapshot: Sendable, Hashable {
    public var bytesUp: UInt64
    public var bytesDown: UInt64
    /// TCP streams by connect status (every status present, zeros included).
    public var tcpStreams: [TCPConnectStatus: UInt64]
    public var udpFlowsLive: Int
    public var udpFlowsCreated: UInt64
    public var icmpEchoesAnswered: UInt64
    /// Drops by reason (every reason present, zeros included); labels from `TunnelDropReason.label`.
    public var drops: [TunnelDropReason: UInt64]
    public var bytesInFlight: Int
    public var peakBytesInFlight: Int

    public init(bytesUp: UInt64, bytesDown: UInt64, tcpStreams: [TCPConnectStatus: UInt64], udpFlowsLive: Int,
                udpFlowsCreated: UInt64, icmpEchoesAnswered: UInt64, drops: [TunnelDropReason: UInt64],
                bytesInFlight: Int, peakBytesInFlight: Int) {
        self.bytesUp = bytesUp
        self.bytesDown = bytesDown
        self.tcpStreams = tcpStreams
        self.udpFlowsLive = udpFlowsLive
        self.udpFlowsCreated = udpFlowsCreated
        self.icmpEchoesAnswered = icmpEchoesAnswered
        self.drops = drops
        self.bytesInFlight = bytesInFlight
        self.peakBytesInFlight = peakBytesInFlight
    }

    /// All drops, whatever the reason.
    public var totalDrops: UInt64 { drops.values.reduce(0, +) }
}
