public import Logging
import Synchronization

// MARK: - ZTNALogging

/// Process-wide logging set-up for the daemons: ``ZTNALogHandler`` on stderr, level from `--log-level` or
/// `ZTNA_LOG_LEVEL`.
public enum ZTNALogging {
    /// The environment variable consulted when no `--log-level` flag is given.
    public static let environmentVariable = "ZTNA_LOG_LEVEL"
    /// The level when neither the flag nor the environment says otherwise.
    public static let defaultLevel = Logger.Level.info

    private static let bootstrapped = Mutex(false)

    /// Installs ``ZTNALogHandler`` as the swift-log backend.
    ///
    /// `LoggingSystem.bootstrap` may run at most once per process (a second call traps), so only the first
    /// call installs the handler; later calls (tests, a daemon started twice in one process) do nothing.
    /// - Returns: `true` if this call installed the handler.
    @discardableResult
    public static func bootstrap(level: Logger.Level = Self.defaultLevel, format: LogFormat = .text) -> Bool {
        self.bootstrapped.withLock { done -> Bool in
            guard !done else { return false }
            LoggingSystem.bootstrap(
                { label, provider in
                    ZTNALogHandler(label: label, level: level, format: format, metadataProvider: provider)
                },
                metadataProvider: nil
            )
            done = true
            return true
        }
    }

    /// The level to use: the `--log-level` flag if given, else `ZTNA_LOG_LEVEL` if set and non-empty, else
    /// ``defaultLevel``. Names are swift-log's (`trace`, `debug`, `info`, `notice`, `warning`, `error`,
    /// `critical`), case-insensitive; `warn` is accepted for `warning`.
    ///
    /// - Parameters:
    ///   - flag: The value of `--log-level`, or `nil` when the flag was not given.
    ///   - environment: The process environment (`ProcessInfo.processInfo.environment`).
    public static func level(flag: String?, environment: [String: String]) throws(LogLevelError) -> Logger.Level {
        if let flag {
            guard let level = Self.parseLevel(flag) else { throw LogLevelError(value: flag, source: "--log-level") }
            return level
        }
        if let value = environment[Self.environmentVariable], !value.isEmpty {
            guard let level = Self.parseLevel(value) else {
                throw LogLevelError(value: value, source: Self.environmentVariable)
            }
            return level
        }
        return Self.defaultLevel
    }

    /// A level name, or `nil` when it is not one.
    public static func parseLevel(_ text: String) -> Logger.Level? {
        let lowered = text.lowercased()
        if lowered == "warn" { return .warning }
        return Logger.Level(rawValue: lowered)
    }
}

// MARK: - LogLevelError

/// A log level name that is not one of swift-log's levels; names the flag or variable it came from.
public struct LogLevelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rejected text.
    public var value: String
    /// `--log-level` or `ZTNA_LOG_LEVEL`.
    public var source: String

    public var description: String {
        "invalid log level '\(self.value)' in \(self.source): expected one of "
            + Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
    }
}
