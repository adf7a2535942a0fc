public import Logging
public import ServiceLifecycle
import UnixSignals

/// How every daemon runs (DESIGN.md §8): its services in one swift-service-lifecycle `ServiceGroup` with
/// graceful shutdown on SIGTERM/SIGINT, and SIGHUP calling `reload` (errors are logged; the daemon keeps
/// its previous configuration).
public enum DaemonRunner {
    /// SIGHUP, trapped: from now on it no longer terminates the process, and signals are kept until `run`
    /// handles them. Trap it before announcing readiness (a SIGHUP right after `listening on` must reload,
    /// not kill the daemon).
    public struct ReloadSignal: Sendable {
        let hangups: UnixSignalsSequence

        public static func trap() async -> ReloadSignal {
            ReloadSignal(hangups: await UnixSignalsSequence(trapping: .sighup))
        }
    }

    public static func run(
        services: [any Service], logger: Logger, reloadOn signal: ReloadSignal? = nil,
        reload: (@Sendable () async throws -> Void)? = nil
    ) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        guard let reload else { return try await group.run() }
        let hangups: UnixSignalsSequence
        if let signal { hangups = signal.hangups } else { hangups = await ReloadSignal.trap().hangups }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                for await _ in hangups {
                    logger.notice("SIGHUP: reloading")
                    do {
                        try await reload()
                    } catch {
                        logger.error("reload failed; keeping the previous configuration", metadata: ["error": "\(error)"])
                    }
                }
            }
            try await group.run()
            tasks.cancelAll()
        }
    }
}
