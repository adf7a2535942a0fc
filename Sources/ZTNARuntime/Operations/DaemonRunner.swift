public import Logging
public import ServiceLifecycle
import UnixSignals

/// How every daemon runs (DESIGN.md §8): its services in one swift-service-lifecycle `ServiceGroup` with
/// graceful shutdown on SIGTERM/SIGINT, and SIGHUP calling `reload` (errors are logged; the daemon keeps
/// its previous configuration).
public enum DaemonRunner {
    public static func run(
        services: [any Service], logger: Logger, reload: (@Sendable () async throws -> Void)? = nil
    ) async throws {
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        guard let reload else { return try await group.run() }
        // Trapping SIGHUP replaces its default action (terminate) for as long as the sequence is iterated.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
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
