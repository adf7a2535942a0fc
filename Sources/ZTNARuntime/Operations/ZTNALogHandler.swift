public import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Musl)
private let systemWrite = Musl.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

// MARK: - ZTNALogHandler

/// A swift-log handler that writes one line per event to stderr (``LogFormat``), for systemd's journal,
/// `kubectl logs` and humans alike.
///
/// Metadata is merged in swift-log's order of precedence: the handler's own metadata, then the metadata
/// provider's, then the event's; an error attached to the event is added as `error=…`.
public struct ZTNALogHandler: LogHandler {
    /// The logger label, printed after the level (`relay`, `connector`, `agent`, …).
    public let label: String
    /// The line format.
    public let format: LogFormat

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let output: LogOutput

    /// A handler writing to stderr.
    public init(
        label: String,
        level: Logger.Level = .info,
        format: LogFormat = .text,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.init(label: label, level: level, format: format, metadataProvider: metadataProvider, output: .standardError)
    }

    /// A handler writing to `output` (tests capture lines through it).
    init(
        label: String,
        level: Logger.Level,
        format: LogFormat,
        metadataProvider: Logger.MetadataProvider?,
        output: LogOutput
    ) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.metadataProvider = metadataProvider
        self.output = output
    }

    // MARK: - LogHandler

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let eventMetadata = event.metadata, !eventMetadata.isEmpty {
            merged.merge(eventMetadata) { _, new in new }
        }
        if let error = event.error, merged["error"] == nil {
            merged["error"] = .string(String(describing: error))
        }
        let line = LogLineFormatter.line(
            format: self.format,
            time: self.output.now(),
            level: event.level,
            label: self.label,
            message: event.message.description,
            metadata: merged
        )
        self.output.write(line)
    }
}

// MARK: - LogOutput

/// Where lines go and where the time comes from.
struct LogOutput: Sendable {
    var now: @Sendable () -> WallTime
    var write: @Sendable (String) -> Void

    /// The real wall clock and file descriptor 2.
    static let standardError = LogOutput(now: LogOutput.wallClock, write: LogOutput.writeToStandardError)

    static func wallClock() -> WallTime {
        let milliseconds = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return WallTime(seconds: milliseconds / 1000, milliseconds: milliseconds % 1000)
    }

    /// One `write(2)` per line where possible: lines up to PIPE_BUF bytes are then never interleaved with
    /// lines from other threads (POSIX atomicity of pipe writes).
    static func writeToStandardError(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            guard var base = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let written = systemWrite(2, base, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // stderr is gone: nothing sensible to report the failure to.
                }
                remaining -= written
                base += written
            }
        }
    }
}
