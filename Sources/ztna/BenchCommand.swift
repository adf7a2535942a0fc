import ArgumentParser
import Foundation
import NIOPosix
import QUICTestFixtures
import ZTNABench

/// `ztna bench`: performance measurements with baselines from the same run (DESIGN.md §12).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance on this machine (loopback), with baselines measured in the same run.",
        subcommands: [BenchQUICCommand.self, BenchRelayCommand.self])
}

/// `ztna bench quic`: handshake time, DATAGRAM RTT and rate, stream throughput — vs plain UDP and aioquic.
struct BenchQUICCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quic",
        abstract: "Benchmark the QUIC engine on loopback against plain UDP and (when available) aioquic.",
        discussion: """
            Build in release mode first: swift run -c release ztna bench quic
            aioquic figures need a Python with aioquic (scripts/test creates .venv with it); pass --python or
            set ZTNA_PYTHON, or --no-aioquic to skip them.
            """)

    @Option(help: "Sequential handshakes to time.")
    var handshakes = 200
    @Option(help: "Echo round trips to time.")
    var echoes = 2000
    @Option(help: "Seconds of sending for each one-way rate.")
    var seconds = 2.0
    @Option(help: "Megabytes sent on one stream.")
    var streamMegabytes = 200
    @Option(help: "Python interpreter with aioquic (default: $ZTNA_PYTHON, then ./.venv/bin/python).")
    var python: String?
    @Flag(help: "Skip the aioquic comparison.")
    var noAioquic = false

    func run() async throws {
        var run = QUICBenchRun()
        run.handshakes = handshakes
        run.echoes = echoes
        run.seconds = seconds
        run.streamBytes = streamMegabytes << 20
        if !noAioquic {
            let candidates = [python, ProcessInfo.processInfo.environment["ZTNA_PYTHON"], ".venv/bin/python"]
            let script = "scripts/interop/aioquic_bench.py"
            if let found = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }),
               FileManager.default.fileExists(atPath: script) {
                run.aioquicPython = found
                run.aioquicScript = script
            } else {
                FileHandle.standardError.write(Data("aioquic comparison skipped: no Python with aioquic found (see --help)\n".utf8))
            }
        }
        let bench = try QUICBench(group: MultiThreadedEventLoopGroup.singleton)
        defer { try? FileManager.default.removeItem(at: bench.certificates.directory) }
        let report = try await run.run(bench: bench) { message in
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        print(report)
    }
}
