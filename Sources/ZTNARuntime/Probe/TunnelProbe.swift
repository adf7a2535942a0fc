public import Logging
public import NIOCore
import IPPacket
import QUICCore
import QUICNIO
import ZTNAConfig
import ZTNAProtocol

/// `ztna probe`'s runner (DESIGN.md §1, §4): acts as an agent for one service — through an `AgentServer`, which
/// connects to a relay, registers and opens the service's tunnel over the relayed path — and sends whole IP/UDP
/// packets as tunnel DATAGRAMs to the service's virtual IP and port, then matches the connector's replies.
///
/// Order of a run: open the tunnel (bounded by `timeout`); paced packets (`count`, every `interval`); the
/// `--query-max-size` check (one packet of exactly the largest UDP payload that fits, one a byte larger that
/// the tunnel must refuse locally); the burst (`burst` packets back to back); then wait for outstanding
/// replies for at most `timeout`. A run never hangs: every wait is bounded.
public struct TunnelProbe: Sendable {
    public let options: TunnelProbeOptions

    public init(options: TunnelProbeOptions) {
        self.options = options
    }

    /// Packets handed to the tunnel per call during a burst: one event-loop hop each, and bounded memory
    /// however large the burst.
    static let burstBatch = 256

    // MARK: - Running

    /// Starts an agent with `settings` (the probed service is added to its services when missing; no admin
    /// server, no forwards, no TUN), probes, and stops the agent. The handshake time counts from the agent's start.
    public static func run(settings: AgentSettings, options: TunnelProbeOptions, logger: Logger,
                           group: (any EventLoopGroup)? = nil) async throws(TunnelProbeError) -> TunnelProbeReport {
        try options.validate()
        var settings = settings
        settings.admin = nil
        settings.forwards = []
        settings.tun = nil  // the probe speaks to the tunnel itself; a running agent may own the TUN
        settings.tunnelAddress = options.tunnelAddress
        if !settings.services.contains(where: { $0.id == options.service }) {
            guard let literal = IPAddressLiteral(options.virtualIP.description) else {
                throw TunnelProbeError(.invalidOption, "\(options.virtualIP) is not an IP address")
            }
            settings.services.append(AgentService(id: options.service, virtualIP: literal))
        }
        let agent: AgentServer
        do {
            agent = try AgentServer(settings: settings, registry: MetricsRegistry(), logger: logger, group: group)
        } catch {
            throw TunnelProbeError(.agentStartup, error.message)
        }
        let startedAt = ContinuousClock.now
        do {
            try await agent.start()
        } catch {
            throw TunnelProbeError(.agentStartup, error.message)
        }
        do {
            let report = try await TunnelProbe(options: options).run(agent: agent, startedAt: startedAt)
            await agent.shutdown()
            return report
        } catch {
            await agent.shutdown()
            throw error
        }
    }

    /// Probes through `agent`, which must be started and have the service among its services.
    /// `startedAt`: where the handshake time counts from (the agent's start, when it was started for the probe).
    public func run(agent: AgentServer, startedAt: ContinuousClock.Instant = .now) async throws(TunnelProbeError)
        -> TunnelProbeReport {
        try options.validate()
        let collector = ProbeCollector(matcher: ProbeReplyMatcher(
            virtualIP: options.virtualIP, servicePort: options.port, tunnelAddress: options.tunnelAddress,
            sourcePort: options.sourcePort, payload: ProbePayload(pattern: options.pattern, seed: options.seed),
            capacity: options.capacity, timedSequences: 0..<UInt64(options.count)))
        await agent.addPacketConsumer(for: options.service) { packet in collector.offer(packet) }

        var record = ProbeRunRecord()
        let connection = try await openTunnel(agent)
        record.handshake = startedAt.duration(to: .now)
        guard let maxPayload = await connection.maxDatagramPayload else {
            throw TunnelProbeError(.datagramsUnsupported, "the connector's end of the \(options.service) tunnel accepts no DATAGRAM frames, so no UDP can ride on it: check the connector's version")
        }
        if options.count + options.burst > 0, options.headerOverhead + options.size > maxPayload {
            throw TunnelProbeError(.packetTooLarge, "--size \(options.size): the tunnel carries at most \(maxPayload - options.headerOverhead) bytes of UDP payload now (see --query-max-size)")
        }

        // The max-size check goes before the burst, so that queues the burst fills on the way (the connector's
        // per-flow queue, the relay's) cannot make it fail.
        if await sendPaced(on: connection, collector, &record) {
            if options.queryMaxSize { await checkMaximumSize(on: connection, collector, &record) }
            await sendBurst(on: connection, collector, &record)
        }
        await collector.waitForReplies(timeout: options.timeout)
        record.path = await agent.status().tunnels.first { $0.service == options.service.description }?.path
        let statistics = await connection.statistics
        record.datagramsDropped = statistics.datagramsDropped
        record.packetsLost = statistics.packetsLost
        return TunnelProbeReport(options: options, record: record, matcher: collector.finish())
    }

    // MARK: - Phases

    /// The service's tunnel, within `timeout`.
    private func openTunnel(_ agent: AgentServer) async throws(TunnelProbeError) -> QUICNIOConnection {
        let service = options.service
        let hint = "check that a relay is reachable, that this certificate grants 'agent' for \(service), and that a connector serves \(service)"
        switch await ProbeTimeLimit.run(options.timeout, { try await agent.tunnel(for: service) }) {
        case .success(let connection):
            return connection
        case .failure(let error):
            throw TunnelProbeError(.noTunnel, "no tunnel to \(service): \(error); \(hint)")
        case nil:
            throw TunnelProbeError(.noTunnel, "no tunnel to \(service) within \(ProbeDuration.format(options.timeout)): \(hint)")
        }
    }

    /// Packets `0..<count`, one every `interval` from the first (deadlines, not sleeps between sends: a slow send
    /// does not stretch the schedule). False when the tunnel failed.
    private func sendPaced(on connection: QUICNIOConnection, _ collector: ProbeCollector,
                           _ record: inout ProbeRunRecord) async -> Bool {
        let start = ContinuousClock.now
        for index in 0..<options.count {
            if index > 0, options.interval > .zero {
                try? await Task.sleep(until: start + options.interval * index, clock: .continuous)
            }
            if let error = await send(UInt64(index), size: options.size, on: connection, collector) {
                record.errors.append("packet \(index) not sent (the tunnel failed after \(index) packets): \(error)")
                return false
            }
        }
        return true
    }

    /// Packets `count..<count+burst`, back to back, in batches.
    private func sendBurst(on connection: QUICNIOConnection, _ collector: ProbeCollector,
                           _ record: inout ProbeRunRecord) async {
        guard let addresses = options.addresses else { return }
        let payload = ProbePayload(pattern: options.pattern, seed: options.seed)
        var next = options.count
        let end = options.count + options.burst
        while next < end {
            let batch = next..<min(next + Self.burstBatch, end)
            let packets = batch.map { index in
                IPPacketBuilder.udp(addresses, sourcePort: options.sourcePort, destinationPort: options.port,
                                    payload: payload.make(sequence: UInt64(index), size: options.size))
            }
            let now = ContinuousClock.now
            for index in batch { collector.recordSent(sequence: UInt64(index), size: options.size, at: now) }
            do throws(QUICDatagramError) {
                try await connection.send(datagrams: packets)
            } catch {
                // Which of the batch were queued is unknown: they stay recorded as sent (and so count as lost).
                record.errors.append("the tunnel refused the burst after \(next - options.count) packets: \(error)")
                return
            }
            next = batch.upperBound
        }
    }

    /// `--query-max-size`: one packet of exactly the largest UDP payload that fits, which must be sent, and one
    /// a byte larger, which the tunnel must refuse locally (RFC 9221 §3: DATAGRAM frames cannot be fragmented).
    private func checkMaximumSize(on connection: QUICNIOConnection, _ collector: ProbeCollector,
                                  _ record: inout ProbeRunRecord) async {
        guard let maxPayload = await connection.maxDatagramPayload else {
            record.errors.append("the tunnel accepts no DATAGRAM frames any more")
            return
        }
        record.maxDatagramPayload = maxPayload
        let largest = maxPayload - options.headerOverhead
        guard largest >= ProbePayload.headerLength, largest < options.largestUDPPayload else {
            record.errors.append("the tunnel's DATAGRAM limit (\(maxPayload) bytes) leaves no room for a probe payload")
            return
        }
        let sequence = options.maximumSizeSequence
        record.atMaximum = await sizeCheck(sequence, size: largest, on: connection, collector)
        record.oneLarger = await sizeCheck(sequence + 1, size: largest + 1, on: connection, collector)
    }

    private func sizeCheck(_ sequence: UInt64, size: Int, on connection: QUICNIOConnection,
                           _ collector: ProbeCollector) async -> ProbeRunRecord.SizeCheck {
        var check = ProbeRunRecord.SizeCheck(size: size)
        if let error = await send(sequence, size: size, on: connection, collector) {
            if case .tooLarge = error { check.refusedAsTooLarge = true }
            check.error = "\(error)"
        } else {
            check.sent = true
        }
        return check
    }

    // MARK: - Sending one packet

    /// Builds and sends packet `sequence`; nil when sent, else why not (its send record is taken back).
    private func send(_ sequence: UInt64, size: Int, on connection: QUICNIOConnection,
                      _ collector: ProbeCollector) async -> QUICDatagramError? {
        guard let addresses = options.addresses else { return .notConnected }
        let payload = ProbePayload(pattern: options.pattern, seed: options.seed).make(sequence: sequence, size: size)
        let packet = IPPacketBuilder.udp(addresses, sourcePort: options.sourcePort, destinationPort: options.port,
                                         payload: payload)
        collector.recordSent(sequence: sequence, size: size)
        do throws(QUICDatagramError) {
            try await connection.send(datagram: packet)
            return nil
        } catch {
            collector.cancelSent(sequence: sequence)
            return error
        }
    }
}
