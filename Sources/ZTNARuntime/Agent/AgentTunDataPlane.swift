#if os(Linux)
import IPPacket
import Logging
import NIOCore
import QUICCore
import QUICNIO
import UserspaceTCP
import ZTNAProtocol

/// The agent's TUN mode data plane (DESIGN.md §4), confined to the agent's event loop — the loop of its QUIC
/// endpoint, so tunnel DATAGRAMs are sent without a hop.
///
/// - Packets from the TUN arrive in batches (`received` per packet, then `batchEnded`).
/// - UDP/ICMP to a virtual IP are sent on the service's tunnel as DATAGRAMs; while the tunnel is being opened
///   they wait (at most `maxWaitingPerService`, oldest dropped and counted). A packet the tunnel cannot carry
///   is answered on the TUN with ICMP "fragmentation needed" / "packet too big".
/// - TCP is terminated by `TCPEndpoint`; each connection becomes a stream (`AgentTunTCPFlow` runs it), and the
///   endpoint's reads and writes are driven from here through the promise-based calls below.
/// - Replies from tunnels are checked (`TunPacketClassifier.acceptReply`) and written to the TUN.
final class AgentTunDataPlane {
    static let maxWaitingPerService = 64
    /// The most bytes one `nextUpstream` hands to a stream write.
    static let upstreamChunk = 64 * 1024

    let loop: any EventLoop
    private let interface: TunInterface
    let classifier: TunPacketClassifier
    private var tcp: TCPEndpoint
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var flushing = false
    private var tunnels: [ServiceID: QUICNIOConnection] = [:]
    private var waiting: [ServiceID: [[UInt8]]] = [:]
    /// Services whose tunnel was asked for and not yet reported up (or given up on).
    private var requested: Set<ServiceID> = []
    private var flows: [FlowID: AgentTunTCPFlow.State] = [:]
    let opener: any TunnelOpener
    let counters: [ServiceID: TunnelCounters]
    /// Drops that belong to no service (unknown destinations, malformed packets, a full TUN queue).
    let interfaceCounters: TunnelCounters
    let logger: Logger
    private(set) var closed = false

    init(loop: any EventLoop, interface: TunInterface, classifier: TunPacketClassifier, randomSeed: UInt64,
         opener: any TunnelOpener, counters: [ServiceID: TunnelCounters], interfaceCounters: TunnelCounters,
         logger: Logger) {
        self.loop = loop
        self.interface = interface
        self.classifier = classifier
        tcp = TCPEndpoint(configuration: TCPConfiguration(mtu: interface.mtu), randomSeed: randomSeed)
        self.opener = opener
        self.counters = counters
        self.interfaceCounters = interfaceCounters
        self.logger = logger
    }

    /// A sendable handle for tasks that call back onto the loop.
    var handle: NIOLoopBound<AgentTunDataPlane> { NIOLoopBound(self, eventLoop: loop) }

    var tcpCounters: TCPCounters { tcp.counters }
    var tcpFlowCount: Int { tcp.flowCount }

    // MARK: - TUN → tunnels

    /// One packet read from the TUN.
    func received(_ packet: [UInt8]) {
        guard !closed else { return }
        switch classifier.classify(packet) {
        case .tcp:
            tcp.handle(packet: packet, now: .now())
        case .datagram(let service):
            send(packet, to: service)
        case .drop(let reason, let service):
            (service.flatMap { counters[$0] } ?? interfaceCounters).drop(reason)
        }
    }

    /// The end of a batch of reads: the TCP endpoint's answers go out now, once per batch.
    func batchEnded() {
        flushTCP()
    }

    private func send(_ packet: [UInt8], to service: ServiceID) {
        guard let connection = tunnels[service] else {
            var queue = waiting[service, default: []]
            if queue.count >= Self.maxWaitingPerService {
                queue.removeFirst()
                counters[service]?.drop(.tunnelPending)
            }
            queue.append(packet)
            waiting[service] = queue
            if requested.insert(service).inserted { requestTunnel(service) }
            return
        }
        switch connection.sendDatagramOnLoop(packet) {
        case .success:
            counters[service]?.addBytesUp(Self.transportPayloadLength(packet))
        case .failure(.tooLarge):
            counters[service]?.drop(.oversize)
            let limit = connection.maxDatagramPayloadOnLoop ?? 0
            if let answer = classifier.tooBigAnswer(to: packet, tunnelCarries: limit) { writeToTun(answer) }
        case .failure(.notConnected):
            tunnels[service] = nil
            send(packet, to: service)
        case .failure:
            counters[service]?.drop(.noTunnel)
        }
    }

    /// Asks the control plane for `service`'s tunnel; its arrival comes back through `tunnelChanged`.
    private func requestTunnel(_ service: ServiceID) {
        let handle = self.handle
        let opener = self.opener
        Task {
            if (try? await opener.tunnel(for: service)) == nil {
                handle.eventLoop.execute { handle.value.tunnelRequestFailed(service) }
            }
        }
    }

    /// Transport payload bytes of a packet we built or checked (for the byte counters); 0 when unparsable.
    private static func transportPayloadLength(_ packet: [UInt8]) -> Int {
        (try? IPPacket(parsing: packet, verifyChecksums: false))?.payloadRange.count ?? 0
    }

    // MARK: - Tunnels → TUN

    /// The control plane's news: `service`'s tunnel is up (or gone, nil). Waiting packets go out on it.
    func tunnelChanged(_ service: ServiceID, _ connection: QUICNIOConnection?) {
        tunnels[service] = connection
        requested.remove(service)
        guard connection != nil, let queue = waiting.removeValue(forKey: service) else { return }
        for packet in queue { send(packet, to: service) }
    }

    /// The request for `service`'s tunnel ended without a tunnel: the next packet asks again.
    func tunnelRequestFailed(_ service: ServiceID) {
        requested.remove(service)
    }

    /// A DATAGRAM from `service`'s tunnel: written to the TUN when it is a reply from that service.
    func deliver(_ packet: [UInt8], from service: ServiceID) {
        guard !closed else { return }
        switch classifier.acceptReply(packet, from: service) {
        case .accept(let payloadLength):
            counters[service]?.addBytesDown(payloadLength)
            writeToTun(packet)
        case .drop(let reason):
            counters[service]?.drop(reason)
        }
    }

    private func writeToTun(_ packet: [UInt8]) {
        do {
            if try !interface.device.write(packet) { interfaceCounters.drop(.tunQueueFull) }
        } catch {
            interfaceCounters.drop(.tunQueueFull)
            logger.debug("TUN write failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - The TCP endpoint

    /// Writes the endpoint's packets to the TUN, handles its events, and re-arms its timer — until it has
    /// nothing more to say (event handlers may make it say more). Re-entrant calls fold into the running one.
    func flushTCP() {
        guard !flushing else { return }
        flushing = true
        defer { flushing = false }
        while true {
            var progressed = false
            while let packet = tcp.pollPacket() {
                writeToTun(packet)
                progressed = true
            }
            while let event = tcp.pollEvent() {
                handle(event)
                progressed = true
            }
            if !progressed { break }
        }
        armTimer()
    }

    private func armTimer() {
        let next = tcp.pollTimeout()
        guard next != timerDeadline else { return }
        timer?.cancel()
        timerDeadline = next
        guard let next else {
            timer = nil
            return
        }
        let handle = self.handle
        timer = loop.scheduleTask(deadline: next) {
            handle.value.timerFired()
        }
    }

    private func timerFired() {
        timerDeadline = nil
        timer = nil
        tcp.handleTimeout(now: .now())
        flushTCP()
    }

    private func handle(_ event: TCPEvent) {
        switch event {
        case .connectRequested(let flow, let tuple):
            guard !closed, let service = classifier.service(at: tuple.serviceAddress) else {
                interfaceCounters.drop(.unknownDestination)
                tcp.refuse(flow, now: .now())
                return
            }
            flows[flow] = AgentTunTCPFlow.State()
            AgentTunTCPFlow(plane: handle, flow: flow, service: service, port: tuple.servicePort,
                            opener: opener, counters: counters[service], logger: logger).start()
        case .readable(let flow), .finReceived(let flow):
            feedUpstream(flow)
        case .writable(let flow):
            feedDownstream(flow)
        case .reset(let flow):
            flows[flow]?.reset = true
            feedUpstream(flow)
            failDownstream(flow)
        case .closed(let flow):
            // A task still waiting for upstream bytes now gets `.reset`: after a graceful close it has
            // already had its `.fin` and waits no more.
            feedUpstream(flow)
            failDownstream(flow)
            flows[flow] = nil
        }
    }

    // MARK: - Calls from a flow's task (always on the loop)

    /// The connector answered: SYN-ACK (`accepted`) or RST. Returns false when the kernel's connection is
    /// already gone (it gave up waiting).
    func connectAnswered(_ flow: FlowID, accepted: Bool) -> Bool {
        guard flows[flow] != nil, tcp.state(of: flow) != nil else { return false }
        if accepted { tcp.accept(flow, now: .now()) } else { tcp.refuse(flow, now: .now()) }
        flushTCP()
        return accepted
    }

    /// The next bytes the kernel sent on `flow` (at most `upstreamChunk`), its FIN, or its end by reset.
    /// Reading frees receive buffer, which reopens the window the endpoint advertises: the kernel can send
    /// only as fast as the stream takes the bytes (DESIGN.md §4, "window from the stream's credit").
    func nextUpstream(_ flow: FlowID) -> EventLoopFuture<AgentTunTCPFlow.Upstream> {
        let promise = loop.makePromise(of: AgentTunTCPFlow.Upstream.self)
        guard flows[flow] != nil else {
            promise.succeed(.reset)
            return promise.futureResult
        }
        flows[flow]?.upstreamWaiter = promise
        feedUpstream(flow)
        return promise.futureResult
    }

    private func feedUpstream(_ flow: FlowID) {
        guard let promise = flows[flow]?.upstreamWaiter else { return }
        let chunk: AgentTunTCPFlow.Upstream
        if tcp.readableBytes(flow) > 0 {
            chunk = .bytes(tcp.read(flow, max: Self.upstreamChunk))
        } else if flows[flow]?.reset == true || tcp.state(of: flow) == nil {
            chunk = .reset
        } else if tcp.state(of: flow).map(Self.peerFinished) == true {
            chunk = .fin
        } else {
            return
        }
        flows[flow]?.upstreamWaiter = nil
        promise.succeed(chunk)
        flushTCP()
    }

    /// Whether the kernel has sent its FIN (RFC 9293 §3.3.2: the states after a FIN was received).
    private static func peerFinished(_ state: TCPConnectionState) -> Bool {
        switch state {
        case .closeWait, .lastAck, .closing, .timeWait, .closed: true
        default: false
        }
    }

    /// Queues `bytes` for the kernel; the future completes when the endpoint's send buffer took all of them,
    /// and fails when the flow ends first.
    func writeDownstream(_ flow: FlowID, _ bytes: [UInt8]) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        guard flows[flow] != nil, flows[flow]?.downstreamWaiter == nil else {
            promise.fail(AgentTunTCPFlow.FlowGone())
            return promise.futureResult
        }
        flows[flow]?.downstreamPending = bytes[...]
        flows[flow]?.downstreamWaiter = promise
        feedDownstream(flow)
        return promise.futureResult
    }

    private func feedDownstream(_ flow: FlowID) {
        guard let state = flows[flow], let promise = state.downstreamWaiter else { return }
        let pending = state.downstreamPending
        let taken = pending.isEmpty ? 0 : tcp.write(flow, Array(pending), now: .now())
        let rest = pending.dropFirst(taken)
        if rest.isEmpty {
            flows[flow]?.downstreamPending = []
            flows[flow]?.downstreamWaiter = nil
            promise.succeed(())
        } else {
            flows[flow]?.downstreamPending = rest
        }
        flushTCP()
    }

    private func failDownstream(_ flow: FlowID) {
        guard let promise = flows[flow]?.downstreamWaiter else { return }
        flows[flow]?.downstreamWaiter = nil
        flows[flow]?.downstreamPending = []
        promise.fail(AgentTunTCPFlow.FlowGone())
    }

    /// The stream's FIN: FIN to the kernel after the queued bytes.
    func finishDownstream(_ flow: FlowID) {
        guard flows[flow] != nil else { return }
        flows[flow]?.finished = true
        tcp.finish(flow, now: .now())
        flushTCP()
    }

    /// The stream was reset (or failed): RST to the kernel.
    func resetFlow(_ flow: FlowID) {
        guard flows[flow] != nil else { return }
        tcp.reset(flow, now: .now())
        flushTCP()
    }

    // MARK: - Closing

    /// Resets every TCP connection (the applications see ECONNRESET at once rather than a hang) and drops
    /// waiting packets. The interface itself is closed by its owner.
    func close() {
        guard !closed else { return }
        closed = true
        for flow in flows.keys { tcp.reset(flow, now: .now()) }
        flushTCP()
        timer?.cancel()
        timer = nil
        for (service, queue) in waiting { counters[service]?.drop(.tunnelPending, count: queue.count) }
        waiting.removeAll()
    }
}
#endif
