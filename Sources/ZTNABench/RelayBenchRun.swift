#if canImport(Glibc)
import Glibc
#endif
import ZTNAConfig

/// Which relay measurements to run and how; `run(bench:log:)` runs them in order and collects the report.
/// A phase that fails is reported as failed and the others still run (each has its own relay child).
public struct RelayBenchRun: Sendable {
    public enum Phase: String, Sendable, CaseIterable {
        /// Forwarding rate at each payload size, then the added latency.
        case forwarding
        /// Relay memory per idle connection, for each count of `idleCounts`.
        case idle
        /// Handshakes accepted per second.
        case handshakes
    }

    public var phases: [Phase] = Phase.allCases
    public var forwarding = RelayBench.ForwardingSettings()
    public var idleCounts = [1_000, 10_000]
    public var idle = RelayBench.IdleSettings()
    public var handshakes = RelayBench.HandshakeSettings()

    public init() {}

    public func run(bench: RelayBench, log: @escaping @Sendable (String) -> Void) async -> RelayBenchReport {
        var report = RelayBenchReport(cores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), retry: bench.retry.rawValue)
        for phase in phases {
            do {
                switch phase {
                case .forwarding:
                    let (rates, latency) = try await bench.measureForwarding(forwarding, log: log)
                    report.forwarding = rates
                    report.latency = latency
                case .idle:
                    for count in idleCounts where count > 0 {
                        report.idle.append(try await bench.measureIdle(count: count, settings: idle, log: log))
                    }
                case .handshakes:
                    report.handshakes = try await bench.measureHandshakes(handshakes, log: log)
                }
            } catch {
                log("\(phase) failed: \(error)")
                report.errors.append("\(phase): \(error)")
            }
        }
        return report
    }
}
