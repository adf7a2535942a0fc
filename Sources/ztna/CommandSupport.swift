import ArgumentParser
import Dispatch
import Foundation
import Logging

// MARK: - Logging

/// `--log-level`: swift-log's level names.
struct LogLevel: ExpressibleByArgument {
    let level: Logger.Level

    init(_ level: Logger.Level) { self.level = level }

    init?(argument: String) {
        guard let level = Logger.Level(rawValue: argument.lowercased()) else { return nil }
        self.level = level
    }

    var defaultValueDescription: String { level.rawValue }
}

/// Logs go to stderr: stdout carries only the machine-readable lines ("listening on …", the JSON report).
func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

// MARK: - Arguments

/// A readable file named by `flag`, or a validation error that names both.
func requireReadableFile(_ path: String?, flag: String) throws {
    guard let path else { return }
    guard FileManager.default.isReadableFile(atPath: path) else {
        throw ValidationError("\(flag): file not found or not readable: \(path)")
    }
}

/// Splits `HOST:PORT`, `[IPv6]:PORT`; nil when malformed.
func parseHostPort(_ text: String) -> (host: String, port: Int)? {
    let host: Substring
    let portText: Substring
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]") else { return nil }
        host = text[text.index(after: text.startIndex)..<close]
        let rest = text[text.index(after: close)...]
        guard rest.hasPrefix(":") else { return nil }
        portText = rest.dropFirst()
    } else {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        host = text[..<colon]
        portText = text[text.index(after: colon)...]
        guard !host.contains(":") else { return nil }   // IPv6 literals need brackets
    }
    guard !host.isEmpty, let port = Int(portText), (1...65_535).contains(port) else { return nil }
    return (String(host), port)
}

/// `host:port`, bracketing IPv6 literals.
func formatHostPort(_ host: String, _ port: Int) -> String {
    host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
}

/// Writes one line to stdout at once, unbuffered (harnesses wait for it on a pipe).
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

// MARK: - Signals

/// Suspends until SIGINT or SIGTERM. Call before announcing readiness: the handlers replace the default
/// action (terminate) only once installed.
final class TerminationSignals {
    private let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// The first signal received.
    func wait() async -> Int32 {
        for await number in stream {
            for source in sources { source.cancel() }
            return number
        }
        return SIGTERM
    }
}
