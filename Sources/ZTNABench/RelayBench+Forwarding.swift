import NIOCore
import QUICCore
import QUICNIO
import QUICTLS
import ZTNAIdentity
import ZTNAProtocol

// MARK: - Forwarding rate and added latency (DESIGN.md §12)

extension RelayBench {
    /// How the forwarding phase loads the relay.
    public struct ForwardingSettings: Sendable {
        /// Agent/connector pairs, each client on its own UDP socket.
        public var pairs = 4
        /// SERVICE_DATAGRAMs each agent keeps outstanding.
        public var window = 128
        /// Measured seconds per payload size (after `warmup`).
        public var seconds = 3.0
        /// Seconds of load before the measurement starts (congestion windows open, caches warm).
        public var warmup = 0.5
        /// Requested tunnel payload sizes (bytes after the relay header).
        public var sizes = [64, 1200]
        /// Sequential echoes for the latency comparison; 0 skips it.
        public var echoes = 2000
        /// Payload of the latency echoes.
        public var echoSize = 64

        public init() {}
    }

    /// One relay child; `pairs` agents and connectors registered for `bench`; for each size, all agents load
    /// the relay for `seconds`; then the echo RTT through the relay against a direct QUIC echo.
    public func measureForwarding(
        _ settings: ForwardingSettings, log: @escaping @Sendable (String) -> Void
    ) async throws -> (rates: [RelayBenchReport.Forwarding], latency: RelayBenchReport.Latency?) {
        try await withRelay { relay in
            log("forwarding: connecting \(settings.pairs) connectors and \(settings.pairs) agents…")
            let endpoints = try await bindEndpoints(count: 2 * settings.pairs, sources: 1, options: QUICNIOOptions())
            var clients: [RelayBenchClient] = []
            do {
                var connectors: [RelayBenchClient] = []
                var agents: [RelayBenchClient] = []
                // Connectors first: an agent's first datagram picks its connector (least assigned).
                for index in 0..<settings.pairs {
                    let connector = try await connectAndRegister(endpoint: endpoints[index], relay: relay.address,
                                                                 role: .connector)
                    clients.append(connector)
                    connectors.append(connector)
                }
                for index in 0..<settings.pairs {
                    let agent = try await connectAndRegister(endpoint: endpoints[settings.pairs + index],
                                                             relay: relay.address, role: .agent)
                    clients.append(agent)
                    agents.append(agent)
                }
                var rates: [RelayBenchReport.Forwarding] = []
                for size in settings.sizes {
                    rates.append(try await measureRate(
                        requestedSize: size, settings: settings, relay: relay, agents: agents, connectors: connectors,
                        log: log))
                }
                var latency: RelayBenchReport.Latency?
                if settings.echoes > 0, let agent = agents.first {
                    latency = try await measureLatency(agent: agent, count: settings.echoes, size: settings.echoSize,
                                                       log: log)
                }
                await Self.close(clients: clients, endpoints: endpoints)
                return (rates, latency)
            } catch {
                await Self.close(clients: clients, endpoints: endpoints)
                throw error
            }
        }
    }

    static func close(clients: [RelayBenchClient], endpoints: [QUICNIOEndpoint]) async {
        await withDiscardingTaskGroup { group in
            for client in clients { group.addTask { await client.close() } }
        }
        await close(endpoints)
    }

    // MARK: - Rate

    private func measureRate(
        requestedSize: Int, settings: ForwardingSettings, relay: RelayBenchChild, agents: [RelayBenchClient],
        connectors: [RelayBenchClient], log: @escaping @Sendable (String) -> Void
    ) async throws -> RelayBenchReport.Forwarding {
        guard let probe = agents.first else { throw RelayBenchError("no agents") }
        guard requestedSize >= RelayBenchPeer.sequenceBytes else {
            throw RelayBenchError("forwarding payloads need at least \(RelayBenchPeer.sequenceBytes) bytes (sequence number)")
        }
        let size = try await relayedPayload(for: requestedSize, agent: probe)
        if size != requestedSize {
            log("forwarding: \(requestedSize)-byte payloads do not fit the relay's packets; using \(size) bytes, the largest relayable")
        }
        log("forwarding: \(size)-byte payloads, \(settings.pairs) pairs × \(settings.window) outstanding, \(settings.seconds) s…")
        let datagram = RelayMessage.encodeServiceDatagram(
            service, payload: ArraySlice(repeating: 0xa5, count: size))
        let relayBefore = try await relay.metrics(group: group)
        let agentsBefore = try await agents.totalCounters
        let connectorsBefore = try await connectors.totalCounters

        for agent in agents {
            try await agent.startLoad(payload: datagram, window: settings.window, stallInterval: .milliseconds(300))
        }
        try await Self.sleep(seconds: settings.warmup)
        let startAgents = try await agents.totalCounters
        let startConnectors = try await connectors.totalCounters
        let startCPU = try relay.sample()
        let startOwnCPU = BenchStatistics.processCPUSeconds()
        let startMachine = RelayBenchProcessSample.machineBusySeconds()
        let start = ContinuousClock.now
        try await Self.sleep(seconds: settings.seconds)
        let endAgents = try await agents.totalCounters
        let endConnectors = try await connectors.totalCounters
        let endCPU = try relay.sample()
        let ownCPU = BenchStatistics.processCPUSeconds() - startOwnCPU
        let machine = RelayBenchProcessSample.machineBusySeconds().flatMap { end in startMachine.map { end - $0 } }
        let elapsed = Self.seconds(since: start)
        let packetsOut = (endAgents.packetsReceived + endConnectors.packetsReceived)
            - (startAgents.packetsReceived + startConnectors.packetsReceived)
        let packetsIn = (endAgents.packetsSent + endConnectors.packetsSent)
            - (startAgents.packetsSent + startConnectors.packetsSent)
        for agent in agents { try await agent.stopLoad() }

        // Whatever is still in flight arrives (or is lost) before the relay's counters are compared with ours.
        try await Self.quiesce(agents + connectors)
        let agentsAfter = try await agents.totalCounters
        let connectorsAfter = try await connectors.totalCounters
        let relayAfter = try await relay.metrics(group: group)

        let toConnectors = endConnectors.received - startConnectors.received
        let toAgents = endAgents.received - startAgents.received
        let forwarded = toConnectors + toAgents
        let cpu = endCPU.cpuSeconds - startCPU.cpuSeconds
        let family = "ztna_relayed_datagrams_total"
        var drops: [String: Int] = [:]
        for (reason, total) in relayAfter.drops {
            let added = Int(total - (relayBefore.drops[reason] ?? 0))
            if added > 0 { drops[reason] = added }
        }
        return RelayBenchReport.Forwarding(
            requestedPayloadBytes: requestedSize, payloadBytes: size,
            pairs: settings.pairs, window: settings.window, seconds: elapsed,
            toConnectors: toConnectors, toAgents: toAgents, forwardedPerSecond: Double(forwarded) / elapsed,
            relayCPUSeconds: cpu, forwardedPerRelayCPUSecond: cpu > 0 ? Double(forwarded) / cpu : nil,
            relayCounted: Int(relayAfter.total(family) - relayBefore.total(family)),
            benchCounted: (agentsAfter.received - agentsBefore.received)
                + (connectorsAfter.received - connectorsBefore.received),
            relayDrops: drops, stallRefills: endAgents.stallRefills - startAgents.stallRefills,
            relayPacketsInPerSecond: Double(packetsIn) / elapsed, relayPacketsOutPerSecond: Double(packetsOut) / elapsed,
            loadGeneratorCPUSeconds: ownCPU,
            otherCPUSeconds: machine.map { max(0, $0 - ownCPU - (endCPU.cpuSeconds - startCPU.cpuSeconds)) })
    }

    /// Waits until no client receives anything for 200 ms (at most 5 s): the relay's queues are empty.
    static func quiesce(_ clients: [RelayBenchClient]) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        var last = try await clients.totalCounters.received
        while ContinuousClock.now < deadline {
            try await sleep(seconds: 0.2)
            let now = try await clients.totalCounters.received
            if now == last { return }
            last = now
        }
    }

    /// Room kept beside the largest relayable DATAGRAM. None is needed since QUICCore leaves a not-yet-due ACK
    /// for a later packet when it would crowd out the next DATAGRAM (it used to hold the DATAGRAM back).
    static let ackHeadroom = 0

    /// The payload for `requested`: itself when it fits, else the largest tunnel payload the relay can forward
    /// (the agent's DATAGRAM limit, minus the 2 + id bytes of SERVICE_DATAGRAM and the 8 of the peer id
    /// PEER_DATAGRAM adds; relay and clients use 1 452-byte UDP payloads) minus `ackHeadroom`. Checked with one
    /// echo.
    func relayedPayload(for requested: Int, agent: RelayBenchClient) async throws -> Int {
        guard let agentLimit = await agent.connection.maxDatagramPayload else {
            throw RelayBenchError("the relay accepts no DATAGRAM frames")
        }
        let limit = agentLimit - (2 + service.bytes.count) - PeerID.wireLength
        let size = requested <= limit - Self.ackHeadroom ? requested : limit - Self.ackHeadroom
        let datagram = RelayMessage.encodeServiceDatagram(service, payload: ArraySlice(repeating: 0x5a, count: size))
        guard try await agent.ping(count: 1, payload: datagram, timeout: .seconds(2)).lost == 0 else {
            throw RelayBenchError("a \(size)-byte payload did not make the round trip through the relay")
        }
        return size
    }

    // MARK: - Latency

    /// Median and p99 RTT of sequential echoes through the relay vs. straight to an in-process QUIC echo
    /// server, both timed the same way (on the event loop, one datagram at a time).
    private func measureLatency(
        agent: RelayBenchClient, count: Int, size: Int, log: @escaping @Sendable (String) -> Void
    ) async throws -> RelayBenchReport.Latency {
        log("latency: \(count) echoes of \(size) bytes through the relay…")
        let datagram = RelayMessage.encodeServiceDatagram(service, payload: ArraySlice(repeating: 0x3c, count: size))
        let relayed = try await agent.ping(count: count, payload: datagram, timeout: .seconds(1))
        log("latency: \(count) echoes of \(size) bytes to a direct QUIC echo server…")
        let direct = try await directEcho(count: count, datagram: datagram)
        return RelayBenchReport.Latency(
            echoes: count, payloadBytes: size,
            relayedMedianMicroseconds: BenchStatistics.percentile(relayed.samples, 0.5),
            relayedP99Microseconds: BenchStatistics.percentile(relayed.samples, 0.99),
            directMedianMicroseconds: BenchStatistics.percentile(direct.samples, 0.5),
            directP99Microseconds: BenchStatistics.percentile(direct.samples, 0.99),
            relayedLost: relayed.lost, directLost: direct.lost)
    }

    /// The baseline: a QUIC DATAGRAM echo server in this process (relay certificate, on-loop echo) and one client.
    private func directEcho(count: Int, datagram: [UInt8]) async throws -> RelayBenchPeer.PingResult {
        var serverTLS = TLSConfiguration(role: .server, alpn: ["ztna-bench-echo"])
        serverTLS.certificateChainFile = deployment.relayCertificate
        serverTLS.privateKeyFile = deployment.relayPrivateKey
        let server = try await QUICNIOEndpoint.bind(
            host: "127.0.0.1", port: 0,
            configuration: QUICEndpointConfiguration(server: QUICConfiguration(tls: try TLSContext(configuration: serverTLS))),
            group: group,
            acceptOnLoop: { connection in
                connection.setDatagramHandlerOnLoop { bytes in _ = connection.sendDatagramOnLoop(bytes) }
            })
        var clientTLS = TLSConfiguration(role: .client, alpn: ["ztna-bench-echo"])
        clientTLS.trustRootsFile = deployment.caCertificate
        let clientEndpoint: QUICNIOEndpoint
        do {
            clientEndpoint = try await QUICNIOEndpoint.bind(host: "127.0.0.1", port: 0, group: group)
        } catch {
            await server.close()
            throw error
        }
        do {
            let configuration = QUICConfiguration(tls: try TLSContext(configuration: clientTLS))
            let address = server.localAddress
            let service = self.service
            let client = try await withDeadline(seconds: 10, "connect to the direct echo server") {
                try await RelayBenchClient.connect(endpoint: clientEndpoint, relay: address,
                                                   configuration: configuration, role: .agent, service: service)
            }
            let result = try await client.ping(count: count, payload: datagram, timeout: .seconds(1))
            await client.close()
            await Self.close([clientEndpoint, server])
            return result
        } catch {
            await Self.close([clientEndpoint, server])
            throw error
        }
    }
}
