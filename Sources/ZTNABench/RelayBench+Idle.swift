import NIOCore
import QUICNIO
import ZTNAProtocol

// MARK: - Memory per idle connection (DESIGN.md §12)

extension RelayBench {
    /// How the idle-memory phase opens its connections.
    public struct IdleSettings: Sendable {
        /// Client connections per UDP socket (10 000 connections need many sockets, not 10 000).
        public var connectionsPerSocket = 100
        /// Handshakes in flight while opening.
        public var concurrency = 64
        /// Connections opened and kept before the "before" sample, so one-time costs (first TLS session,
        /// verification threads, metric series) are not charged to the measured connections.
        public var warmupConnections = 16
        /// Seconds to wait after the last registration before the "after" sample.
        public var settle = 1.0

        public init() {}
    }

    /// A fresh relay; `warmupConnections` agents; RSS before; `count` more agents connected and registered for
    /// `bench` (then idle, PING every 10 s); RSS after. (after − before) / count is the cost of one idle
    /// connection with its registration.
    public func measureIdle(
        count: Int, settings: IdleSettings, log: @escaping @Sendable (String) -> Void
    ) async throws -> RelayBenchReport.Idle {
        try await withRelay { relay in
            let total = count + settings.warmupConnections
            let socketCount = (total + settings.connectionsPerSocket - 1) / max(1, settings.connectionsPerSocket)
            let endpoints = try await bindEndpoints(count: socketCount, sources: 16, options: Self.quietEndpointOptions)
            do {
                log("idle: \(settings.warmupConnections) warm-up connections…")
                try await open(settings.warmupConnections, offset: 0, endpoints: endpoints, relay: relay.address,
                               concurrency: settings.concurrency)
                try await Self.sleep(seconds: settings.settle)
                let before = try relay.sample()
                log("idle: opening \(count) connections (\(socketCount) client sockets)…")
                let start = ContinuousClock.now
                try await open(count, offset: settings.warmupConnections, endpoints: endpoints, relay: relay.address,
                               concurrency: settings.concurrency)
                let openSeconds = Self.seconds(since: start)
                try await Self.sleep(seconds: settings.settle)
                let after = try relay.sample()
                let metrics = try await relay.metrics(group: group)
                let admitted = Int(metrics.value("ztna_connections", label: "role", "agent"))
                log("idle: closing…")
                // The endpoints close every connection at once (CONNECTION_CLOSE each, short drain).
                await Self.close(endpoints)
                return RelayBenchReport.Idle(
                    connections: count, rssBeforeKiB: before.residentKiB, rssAfterKiB: after.residentKiB,
                    perConnectionKiB: Double(after.residentKiB - before.residentKiB) / Double(count),
                    relayAgentConnections: admitted, openSeconds: openSeconds)
            } catch {
                await Self.close(endpoints)
                throw error
            }
        }
    }

    /// Connects and registers `count` agents, `concurrency` at a time; connection `offset + i` uses socket
    /// `(offset + i) % endpoints.count`. The clients stay open until their endpoint closes.
    private func open(
        _ count: Int, offset: Int, endpoints: [QUICNIOEndpoint], relay: SocketAddress, concurrency: Int
    ) async throws {
        guard count > 0, !endpoints.isEmpty else { return }
        try await withThrowingTaskGroup(of: RelayBenchClient.self) { group in
            var next = 0
            func add() {
                let endpoint = endpoints[(offset + next) % endpoints.count]
                next += 1
                group.addTask { try await self.connectAndRegister(endpoint: endpoint, relay: relay, role: .agent) }
            }
            while next < min(count, max(1, concurrency)) { add() }
            while try await group.next() != nil {
                if next < count { add() }
            }
        }
    }
}
