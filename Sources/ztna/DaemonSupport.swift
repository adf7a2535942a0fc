import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import ZTNAConfig
import ZTNARuntime

/// What `ztna relay`, `ztna connector` and `ztna agent` share: configuration lookup, flag parsing, logging
/// and metrics set-up, the admin server, and running everything until SIGTERM.
enum DaemonSupport {
    /// Logging and metrics for a daemon process; the level from `--log-level`, else `ZTNA_LOG_LEVEL`.
    static func bootstrap(logLevel: String?, label: String) throws -> Logger {
        let level = try ZTNALogging.level(flag: logLevel, environment: ProcessInfo.processInfo.environment)
        ZTNALogging.bootstrap(level: level)
        ZTNAMetrics.bootstrap()
        return Logger(label: label)
    }

    /// The configuration file (`--config`, `/etc/ztna/<role>.json`, `./<role>.json`) decoded, or `empty`
    /// when there is none; the path (or "flags") for error messages.
    static func load<Config>(_ role: ConfigRole, explicit: String?, empty: Config,
                             _ decode: (String) throws(ConfigError) -> Config) throws -> (Config, String) {
        guard let path = ConfigLocator.find(role: role, explicit: explicit) else { return (empty, "flags") }
        do {
            return (try decode(path), path)
        } catch {
            throw ValidationError(error.description)
        }
    }

    static func hostPort(_ text: String, flag: String, allowingPortZero: Bool = false) throws -> HostPort {
        switch HostPort.parse(text, allowingPortZero: allowingPortZero) {
        case .success(let value): return value
        case .failure(let error): throw ValidationError("\(flag) \(text): \(error.reason)")
        }
    }

    /// `--admin`: an address, or `off`; nil keeps the file's value.
    static func admin(_ flag: String?, file: HostPort) throws -> HostPort? {
        guard let flag else { return file }
        return flag == "off" ? nil : try hostPort(flag, flag: "--admin", allowingPortZero: true)
    }

    /// `--direct on|off` over the file's `direct` key.
    static func direct(_ flag: String?, file: Bool) throws -> Bool {
        switch flag {
        case nil: return file
        case "on"?: return true
        case "off"?: return false
        case let other?: throw ValidationError("--direct \(other): expected on or off")
        }
    }

    /// The admin server for `role` at `address` (nil: none).
    static func adminServer<Status: Encodable & Sendable>(
        role: String, address: HostPort?, logger: Logger,
        readiness: @escaping @Sendable () async -> Readiness, status: @escaping @Sendable () async -> Status
    ) throws -> AdminServer? {
        guard let address else { return nil }
        return try AdminServer(
            configuration: AdminServerConfiguration(role: role, host: address.host, port: Int(address.port),
                                                    allowNonLoopback: true),
            registry: ZTNAMetrics.process, logger: logger, readiness: readiness, status: status)
    }

    /// Prints `admin on http://…/` once the admin server listens.
    static func announce(_ admin: AdminServer?) {
        guard let admin else { return }
        Task {
            if let address = try? await admin.waitUntilListening() {
                printLine("admin on http://\(address.hostPortText)/")
            }
        }
    }
}
