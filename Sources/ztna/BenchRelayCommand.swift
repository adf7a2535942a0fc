import ArgumentParser
import Foundation
import NIOPosix
import ZTNABench
import ZTNAConfig

/// `ztna bench relay`: the relay daemon as a child process, measured alone (DESIGN.md §12, issue 4).
struct BenchRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Benchmark the relay: forwarding rate per relay core, added latency, memory per idle connection, handshakes/s.",
        discussion: """
            Build in release mode first: swift build -c release --product ztna && .build/release/ztna bench relay

            The relay runs as a child process ('ztna relay' from this executable), so its CPU time and RSS are \
            read from /proc alone; this process is the load generator (agents and connectors on loopback, \
            certificates from a temporary PKI that is deleted afterwards). Linux only.

            Progress goes to stderr; the table to stdout, or with --json one JSON line to stdout (the table to stderr).
            """)

    @Option(help: "Agent/connector pairs for the forwarding rate.")
    var pairs = 4
    @Option(help: "Datagrams each agent keeps outstanding.")
    var window = 128
    @Option(help: "Measured seconds per forwarding size and for the handshake rate.")
    var seconds = 3.0
    @Option(help: "Payload sizes for the forwarding rate, comma-separated.")
    var sizes = "64,1200"
    @Option(help: "Sequential 64-byte echoes for the latency comparison (0 skips it).")
    var echoes = 2000
    @Option(help: "Idle connection counts for the memory figure, comma-separated.")
    var idle = "1000,10000"
    @Option(help: "Handshakes in flight for the handshake rate.")
    var handshakeConcurrency = 64
    @Option(help: "The relay's Retry policy: auto (its default), always, never.")
    var retry: RetryMode = .auto
    @Option(help: "Phases to run, comma-separated: forwarding, idle, handshakes.")
    var phases = "forwarding,idle,handshakes"
    @Flag(help: "Print the report as one JSON line on stdout (the table goes to stderr).")
    var json = false

    func validate() throws {
        guard pairs > 0, window > 0, seconds > 0, echoes >= 0, handshakeConcurrency > 0 else {
            throw ValidationError("--pairs, --window, --seconds and --handshake-concurrency must be positive")
        }
        _ = try Self.integers(sizes, flag: "--sizes", range: 0...65_000)
        _ = try Self.integers(idle, flag: "--idle", range: 1...50_000)
        _ = try Self.phaseList(phases)
    }

    func run() async throws {
        RelayBenchCleanup.installSignalHandlers()
        var run = RelayBenchRun()
        run.phases = try Self.phaseList(phases)
        run.forwarding.pairs = pairs
        run.forwarding.window = window
        run.forwarding.seconds = seconds
        run.forwarding.sizes = try Self.integers(sizes, flag: "--sizes", range: 0...65_000)
        run.forwarding.echoes = echoes
        run.idleCounts = try Self.integers(idle, flag: "--idle", range: 1...50_000)
        run.handshakes.concurrency = handshakeConcurrency
        run.handshakes.seconds = seconds

        let bench = try RelayBench(executable: Self.ownExecutable(), group: MultiThreadedEventLoopGroup.singleton,
                                   retry: retry)
        defer { bench.remove() }
        let report = await run.run(bench: bench) { message in
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        if json {
            FileHandle.standardError.write(Data((report.table + "\n").utf8))
            print(report.json)
        } else {
            print(report.table)
        }
        if !report.errors.isEmpty { throw ExitCode.failure }
    }

    /// This process's executable, to start `ztna relay` from (argv[0] may be relative or a bare name).
    static func ownExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func integers(_ text: String, flag: String, range: ClosedRange<Int>) throws -> [Int] {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0.map(range.contains) ?? false }) else {
            throw ValidationError("\(flag) \(text): comma-separated integers in \(range.lowerBound)…\(range.upperBound)")
        }
        return values.compactMap { $0 }
    }

    static func phaseList(_ text: String) throws -> [RelayBenchRun.Phase] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let phases = names.compactMap(RelayBenchRun.Phase.init(rawValue:))
        guard !phases.isEmpty, phases.count == names.count else {
            throw ValidationError("--phases \(text): comma-separated forwarding, idle, handshakes")
        }
        return phases
    }
}
