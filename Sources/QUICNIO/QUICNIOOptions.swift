public import NIOCore

/// Socket-level settings of a QUIC endpoint's UDP channel (the I/O shell's knobs, not QUIC's).
public struct QUICNIOOptions: Sendable {
    /// Datagrams read per `recvmmsg` call (Linux vector reads). One read batch is processed before the
    /// endpoint is flushed, so this also bounds how many inputs are coalesced into one flush.
    public var vectorReadMessageCount: Int = 64
    /// The largest datagram the socket can receive without truncation. We advertise max_udp_payload_size
    /// 65527 (RFC 9000 §18.2), so the default takes any datagram a peer may legally send.
    public var maxDatagramSize: Int = 65_536
    /// Send runs of equal-sized datagrams to one destination as a single GSO write (Linux `UDP_SEGMENT`)
    /// when the kernel supports it. Turned off for the endpoint if a GSO write ever fails.
    public var segmentationOffload: Bool = true
    /// SO_RCVBUF / SO_SNDBUF for the socket (nil: the system default). A QUIC endpoint receives bursts of a
    /// whole congestion window; the kernel's default (about 200 KiB on Linux) overflows and drops datagrams
    /// long before the event loop falls behind. Linux caps the value at `net.core.rmem_max`/`wmem_max`.
    public var socketReceiveBufferSize: Int? = 4 << 20
    public var socketSendBufferSize: Int? = 4 << 20
    /// How long `close()` waits for connections to finish their closing period (RFC 9000 §10.2) before the
    /// socket is closed regardless (DESIGN.md §8: drain for up to 3 s).
    public var drainTimeout: TimeAmount = .seconds(3)
    /// Ask the kernel for a route before writing to a UDP destination, and drop (count) datagrams to one it has
    /// no route to, instead of letting the failed write close the socket (`RouteCheck`). For endpoints that
    /// send to addresses they have not heard from — NAT traversal probes, a node whose network comes and goes;
    /// a server that only answers has no need of it.
    public var checksRoutes: Bool = false

    public init() {}

    /// Bytes of one receive buffer: room for `vectorReadMessageCount` datagrams of `maxDatagramSize`
    /// (NIO splits the buffer evenly between the messages of one vector read).
    var receiveBufferCapacity: Int {
        max(1, vectorReadMessageCount) * max(1_500, maxDatagramSize)
    }
}
