import NIOCore
import QUICCore
import QUICNIO
import Synchronization
import ZTNAProtocol

// MARK: - Handshakes accepted per second (DESIGN.md §12)

extension RelayBench {
    /// How the handshake phase loads the relay.
    public struct HandshakeSettings: Sendable {
        /// Handshakes in flight at any time.
        public var concurrency = 64
        /// Measured seconds.
        public var seconds = 3.0
        /// Client UDP sockets, spread over as many loopback source addresses.
        public var sockets = 16

        public init() {}
    }

    /// A fresh relay; `concurrency` workers each loop: full mTLS handshake (agent certificate, new connection
    /// each time), wait for OBSERVED_ADDRESS — which the relay sends only once it has verified the client's
    /// certificate and admitted it — then close. A handshake counts when its OBSERVED_ADDRESS arrived within
    /// the measured window; the relay's CPU is sampled at the window's edges.
    public func measureHandshakes(
        _ settings: HandshakeSettings, log: @escaping @Sendable (String) -> Void
    ) async throws -> RelayBenchReport.Handshakes {
        try await withRelay { relay in
            let endpoints = try await bindEndpoints(count: settings.sockets, sources: settings.sockets,
                                                    options: Self.quietEndpointOptions)
            do {
                log("handshakes: \(settings.concurrency) in flight for \(settings.seconds) s…")
                let before = try await relay.metrics(group: group)
                let tally = HandshakeTally()
                let start = ContinuousClock.now
                let end = start + .milliseconds(Int(settings.seconds * 1000))
                let startCPU = try relay.sample()
                let startOwnCPU = BenchStatistics.processCPUSeconds()
                let startMachine = RelayBenchProcessSample.machineBusySeconds()
                let configuration = agentConfiguration
                let address = relay.address
                // The window's end: the relay's CPU sample and this process's CPU seconds.
                let windowEnd = try await withThrowingTaskGroup(
                    of: (RelayBenchProcessSample, Double, Double?)?.self
                ) { group in
                    for worker in 0..<max(1, settings.concurrency) {
                        let endpoint = endpoints[worker % endpoints.count]
                        group.addTask {
                            while ContinuousClock.now < end {
                                await Self.handshake(endpoint: endpoint, relay: address, configuration: configuration,
                                                     end: end, tally: tally)
                            }
                            return nil
                        }
                    }
                    group.addTask {
                        try await Task.sleep(until: end)
                        return (try relay.sample(), BenchStatistics.processCPUSeconds(),
                                RelayBenchProcessSample.machineBusySeconds())
                    }
                    var sample: (RelayBenchProcessSample, Double, Double?)?
                    for try await result in group { sample = sample ?? result }
                    return sample
                }
                guard let (endCPU, endOwnCPU, endMachine) = windowEnd else {
                    throw RelayBenchError("no CPU sample at the end of the window")
                }
                try await Self.sleep(seconds: 0.3)
                let after = try await relay.metrics(group: group)
                await Self.close(endpoints)
                let counts = tally.counts
                let cpu = endCPU.cpuSeconds - startCPU.cpuSeconds
                let failures = after.total("ztna_handshake_failures_total") - before.total("ztna_handshake_failures_total")
                return RelayBenchReport.Handshakes(
                    concurrency: settings.concurrency, seconds: settings.seconds, completed: counts.completed,
                    perSecond: Double(counts.completed) / settings.seconds, relayCPUSeconds: cpu,
                    perRelayCPUSecond: cpu > 0 ? Double(counts.completed) / cpu : nil,
                    clientFailures: counts.failed, relayHandshakeFailures: Int(failures),
                    retriesSent: Int(after.value("ztna_retry_total", label: "outcome", "sent")
                        - before.value("ztna_retry_total", label: "outcome", "sent")),
                    loadGeneratorCPUSeconds: endOwnCPU - startOwnCPU,
                    otherCPUSeconds: endMachine.flatMap { end in
                        startMachine.map { max(0, end - $0 - (endOwnCPU - startOwnCPU) - cpu) }
                    })
            } catch {
                await Self.close(endpoints)
                throw error
            }
        }
    }

    /// One handshake through admission, then close. Failures are counted, not thrown: under load a few may
    /// time out, and the rate is what matters.
    private static func handshake(
        endpoint: QUICNIOEndpoint, relay: SocketAddress, configuration: QUICConfiguration,
        end: ContinuousClock.Instant, tally: HandshakeTally
    ) async {
        let connection: QUICNIOConnection
        do {
            connection = try await withDeadline(seconds: 10, "handshake") {
                try await endpoint.connect(to: relay, serverName: "localhost", configuration: configuration)
            }
        } catch {
            tally.failed(countable: ContinuousClock.now < end)
            return
        }
        let admitted = try? await withDeadline(seconds: 5, "OBSERVED_ADDRESS") {
            for await datagram in connection.datagrams
            where datagram.first == RelayMessage.Kind.observedAddress.rawValue {
                return true
            }
            return false
        }
        if admitted == true {
            tally.completed(countable: ContinuousClock.now < end)
        } else {
            tally.failed(countable: ContinuousClock.now < end)
        }
        await connection.close()
    }
}

/// Handshakes completed and failed inside the measured window (shared by the workers).
private final class HandshakeTally: Sendable {
    private let state = Mutex<(completed: Int, failed: Int)>((0, 0))

    func completed(countable: Bool) { if countable { state.withLock { $0.completed += 1 } } }
    func failed(countable: Bool) { if countable { state.withLock { $0.failed += 1 } } }
    var counts: (completed: Int, failed: Int) { state.withLock { $0 } }
}
