/// What the probe's sending side observed, besides the replies (those are in the `ProbeReplyMatcher`):
/// the input of `TunnelProbeReport(options:record:matcher:)`.
struct ProbeRunRecord: Sendable, Hashable {
    /// One `--query-max-size` send: its payload size, whether the tunnel took it, and if not why.
    struct SizeCheck: Sendable, Hashable {
        var size: Int
        var sent = false
        /// Set when the tunnel refused the packet locally as larger than it can carry (`.tooLarge`).
        var refusedAsTooLarge = false
        var error: String?
    }

    /// From start (agent start, or the probe's start on a running agent) to the tunnel being established.
    var handshake: Duration?
    /// The tunnel's DATAGRAM payload limit when the max-size check ran (nil: none asked, or the peer accepts none).
    var maxDatagramPayload: Int?
    var atMaximum: SizeCheck?
    var oneLarger: SizeCheck?
    /// The tunnel's path at the end, and its connection's DATAGRAM drops and packet losses.
    var path: TunnelPathReport?
    var datagramsDropped: Int?
    var packetsLost: Int?
    /// Why sending stopped early (the tunnel closed, …).
    var errors: [String] = []
}
