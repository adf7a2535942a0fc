public import NIOCore

/// Per-tunnel resource limits and timers of the data plane (DESIGN.md §4). The defaults are what a connector
/// or agent runs with; tests shrink them.
public struct TunnelLimits: Sendable, Hashable {
    /// TCP streams spliced at once on one tunnel; a stream above it is answered `04` (busy).
    public var maxStreamsPerTunnel: Int
    /// UDP flows (5-tuples) at once on one tunnel; packets of further flows are dropped (`flow_limit`).
    public var maxFlowsPerTunnel: Int
    /// A UDP flow with no packet either way for this long is closed (DESIGN.md §4: 60 s).
    public var udpFlowIdleTimeout: TimeAmount
    /// How long a backend TCP connect, name resolution included, may take before the answer is `02`.
    public var backendConnectTimeout: TimeAmount
    /// Datagrams a UDP flow holds while its socket is being opened or is not writable; more are dropped
    /// (`queue_full`).
    public var udpFlowQueueLength: Int

    public init(maxStreamsPerTunnel: Int = 256, maxFlowsPerTunnel: Int = 256,
                udpFlowIdleTimeout: TimeAmount = .seconds(60), backendConnectTimeout: TimeAmount = .seconds(5),
                udpFlowQueueLength: Int = 64) {
        self.maxStreamsPerTunnel = maxStreamsPerTunnel
        self.maxFlowsPerTunnel = maxFlowsPerTunnel
        self.udpFlowIdleTimeout = udpFlowIdleTimeout
        self.backendConnectTimeout = backendConnectTimeout
        self.udpFlowQueueLength = udpFlowQueueLength
    }

    /// The receive buffer of every UDP socket of the data plane, and so the largest datagram it reads. A
    /// tunnel DATAGRAM is bounded by the path MTU (jumbo frames included), so a read that fills the buffer —
    /// possibly truncated by the kernel — can never be carried and is dropped as oversize.
    static let udpReadBufferSize = 9_216
    /// SO_RCVBUF of the agent's UDP forward sockets and the connector's UDP backend sockets. The kernel's
    /// default (about 200 KiB, some 90 datagrams of 1 KB) overflows under a burst that the tunnel carries
    /// (a 2000-datagram burst lost 80 % in the kernel). Linux caps it at `net.core.rmem_max`.
    static let udpSocketReceiveBufferSize = 4 << 20

    /// How often idle flows are looked for: a quarter of the idle timeout (a flow lives at most 25 % longer
    /// than its timeout), at least every 10 ms.
    var flowSweepInterval: TimeAmount {
        .nanoseconds(max(10_000_000, udpFlowIdleTimeout.nanoseconds / 4))
    }
}
