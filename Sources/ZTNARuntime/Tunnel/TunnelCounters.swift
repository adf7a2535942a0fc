import Synchronization
public import ZTNAProtocol

/// The data plane's counters and gauges for one role (a connector's tunnels, or an agent's forwarders):
/// bytes each way, TCP streams by connect status, UDP flows, ICMP echoes, drops by reason, and the bytes the
/// splices hold in flight (the backpressure gauge).
///
/// Thread-safe and cheap: every update is one relaxed atomic operation (no lock, no allocation), so it is fit
/// for per-packet paths. Several tunnels may share one instance; `snapshot()` reads a consistent-enough view
/// for metrics and status (each value is exact, they are not read at one instant).
///
/// Directions: *up* is towards the service (agent → connector → backend), *down* is back towards the agent's
/// applications, on both roles.
public final class TunnelCounters: Sendable {
    // MARK: - Storage

    private let bytesUpTotal = Atomic<UInt64>(0)
    private let bytesDownTotal = Atomic<UInt64>(0)
    /// One counter per `TCPConnectStatus`, indexed by its raw value.
    private let tcpStreamsByStatus: [AtomicCount]
    private let udpFlowsLiveGauge = Atomic<Int>(0)
    private let udpFlowsCreatedTotal = Atomic<UInt64>(0)
    private let icmpEchoesAnsweredTotal = Atomic<UInt64>(0)
    /// One counter per `TunnelDropReason`, indexed by its raw value.
    private let dropsByReason: [AtomicCount]
    private let bytesInFlightGauge = Atomic<Int>(0)
    private let peakBytesInFlightGauge = Atomic<Int>(0)
    private let streamWritesWaitingGauge = Atomic<Int>(0)
    private let socketWritesWaitingGauge = Atomic<Int>(0)

    /// An atomic in a class, so that a fixed table of them can live in an array.
    private final class AtomicCount: Sendable {
        let value = Atomic<UInt64>(0)
    }

    public init() {
        let statuses = (TCPConnectStatus.allCases.map { Int($0.rawValue) }.max() ?? 0) + 1
        tcpStreamsByStatus = (0..<statuses).map { _ in AtomicCount() }
        let reasons = (TunnelDropReason.allCases.map(\.rawValue).max() ?? 0) + 1
        dropsByReason = (0..<reasons).map { _ in AtomicCount() }
    }

    // MARK: - Recording

    /// Payload bytes delivered towards the service (TCP bytes, UDP payloads).
    @inline(__always)
    func addBytesUp(_ count: Int) {
        bytesUpTotal.add(UInt64(max(0, count)), ordering: .relaxed)
    }

    /// Payload bytes delivered back towards the agent's applications.
    @inline(__always)
    func addBytesDown(_ count: Int) {
        bytesDownTotal.add(UInt64(max(0, count)), ordering: .relaxed)
    }

    /// A TCP stream's connect status, as sent (connector) or received (agent).
    func recordTCPStream(_ status: TCPConnectStatus) {
        tcpStreamsByStatus[Int(status.rawValue)].value.add(1, ordering: .relaxed)
    }

    func udpFlowOpened() {
        udpFlowsCreatedTotal.add(1, ordering: .relaxed)
        udpFlowsLiveGauge.add(1, ordering: .relaxed)
    }

    func udpFlowClosed() {
        udpFlowsLiveGauge.subtract(1, ordering: .relaxed)
    }

    func icmpEchoAnswered() {
        icmpEchoesAnsweredTotal.add(1, ordering: .relaxed)
    }

    @inline(__always)
    func drop(_ reason: TunnelDropReason, count: Int = 1) {
        dropsByReason[reason.rawValue].value.add(UInt64(max(count, 0)), ordering: .relaxed)
    }

    /// A splice took `count` bytes it has not handed on yet; keeps the high-water mark.
    func holdInFlight(_ count: Int) {
        let now = bytesInFlightGauge.add(count, ordering: .relaxed).newValue
        var peak = peakBytesInFlightGauge.load(ordering: .relaxed)
        while now > peak {
            let (exchanged, original) = peakBytesInFlightGauge.compareExchange(expected: peak, desired: now,
                                                                               ordering: .relaxed)
            if exchanged { break }
            peak = original
        }
    }

    /// A splice handed `count` held bytes on (or dropped them when the flow ended).
    func releaseInFlight(_ count: Int) {
        bytesInFlightGauge.subtract(count, ordering: .relaxed)
    }

    func streamWriteStarted() { streamWritesWaitingGauge.add(1, ordering: .relaxed) }
    func streamWriteEnded() { streamWritesWaitingGauge.subtract(1, ordering: .relaxed) }
    func socketWriteStarted() { socketWritesWaitingGauge.add(1, ordering: .relaxed) }
    func socketWriteEnded() { socketWritesWaitingGauge.subtract(1, ordering: .relaxed) }

    // MARK: - Reading

    /// Payload bytes towards the service so far.
    public var bytesUp: UInt64 { bytesUpTotal.load(ordering: .relaxed) }
    /// Payload bytes back towards the agent's applications so far.
    public var bytesDown: UInt64 { bytesDownTotal.load(ordering: .relaxed) }
    /// TCP streams that ended their connect with `status` (`.connected`: streams opened).
    public func tcpStreams(_ status: TCPConnectStatus) -> UInt64 {
        tcpStreamsByStatus[Int(status.rawValue)].value.load(ordering: .relaxed)
    }
    /// UDP flows open now.
    public var udpFlowsLive: Int { udpFlowsLiveGauge.load(ordering: .relaxed) }
    /// UDP flows opened so far.
    public var udpFlowsCreated: UInt64 { udpFlowsCreatedTotal.load(ordering: .relaxed) }
    /// ICMP echo requests answered (connector).
    public var icmpEchoesAnswered: UInt64 { icmpEchoesAnsweredTotal.load(ordering: .relaxed) }
    /// Packets (or streams) dropped for `reason`.
    public func drops(_ reason: TunnelDropReason) -> UInt64 {
        dropsByReason[reason.rawValue].value.load(ordering: .relaxed)
    }
    /// Bytes the splices hold now: read from one side, not yet accepted by the other. Bounded by
    /// `TunnelStreamSplice.chunkSize` per direction of each live splice.
    public var bytesInFlight: Int { bytesInFlightGauge.load(ordering: .relaxed) }
    /// The highest `bytesInFlight` seen.
    public var peakBytesInFlight: Int { peakBytesInFlightGauge.load(ordering: .relaxed) }
    /// Splice directions waiting for a QUIC stream to take bytes (flow control or send buffer exhausted).
    public var streamWritesWaiting: Int { streamWritesWaitingGauge.load(ordering: .relaxed) }
    /// Splice directions waiting for a TCP socket to take bytes (the socket's peer reads slowly).
    public var socketWritesWaiting: Int { socketWritesWaitingGauge.load(ordering: .relaxed) }

    /// Every value, for metrics export and status pages.
    public func snapshot() -> TunnelCountersSnapshot {
        var streams: [TCPConnectStatus: UInt64] = [:]
        for status in TCPConnectStatus.allCases { streams[status] = tcpStreams(status) }
        var drops: [TunnelDropReason: UInt64] = [:]
        for reason in TunnelDropReason.allCases { drops[reason] = self.drops(reason) }
        return TunnelCountersSnapshot(
            bytesUp: bytesUp, bytesDown: bytesDown, tcpStreams: streams, udpFlowsLive: udpFlowsLive,
            udpFlowsCreated: udpFlowsCreated, icmpEchoesAnswered: icmpEchoesAnswered, drops: drops,
            bytesInFlight: bytesInFlight, peakBytesInFlight: peakBytesInFlight)
    }
}
