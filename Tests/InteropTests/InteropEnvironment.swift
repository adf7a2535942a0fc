// Where the interop tests find their two QUIC implementations — the `ztna` binary and the aioquic peer — and
// whether a missing one skips the tests or fails them.

import Dispatch
import Foundation
import Glibc

/// The implementations the interop tests run, located once per test process.
struct InteropEnvironment: Sendable {
    /// An executable the tests need, or the reason it cannot be used.
    struct Tool: Sendable {
        let url: URL?
        let problem: String
    }

    static let current = InteropEnvironment()

    /// The root of the package (the directory holding Package.swift above this file).
    let packageRoot: URL
    /// `scripts/interop/aioquic_peer.py`.
    let peerScript: URL
    /// `scripts/interop/aioquic_relay_client.py`: aioquic as a relay client.
    let relayClientScript: URL
    /// A python that can import aioquic (env ZTNA_PYTHON, else `<root>/.venv/bin/python`).
    let python: Tool
    /// The `ztna` binary with its `quic` commands (env ZTNA_BINARY, else `<root>/.build/debug/ztna`).
    let ztna: Tool
    /// ZTNA_REQUIRE_INTEROP=1 (set by scripts/test): a missing implementation is a failure, not a skip.
    let isRequired: Bool

    // MARK: - Test conditions

    /// aioquic against itself needs only python.
    var canRunPeerTests: Bool { python.url != nil || isRequired }
    /// Tests of the `ztna` daemons' command lines need only the binary.
    var canRunZtnaTests: Bool { ztna.url != nil || isRequired }
    /// The cross-implementation matrix needs both.
    var canRunCrossTests: Bool { (python.url != nil && ztna.url != nil) || isRequired }

    /// Fails the calling test with the reason when a tool it needs is missing.
    func requirePython() throws -> URL {
        guard let url = python.url else { throw Missing(message: python.problem) }
        return url
    }

    /// Fails the calling test with the reason when the `ztna` binary is missing.
    func requireZtna() throws -> URL {
        guard let url = ztna.url else { throw Missing(message: ztna.problem) }
        return url
    }

    /// A required implementation is missing (only thrown when ZTNA_REQUIRE_INTEROP=1, else tests skip).
    struct Missing: Error, CustomStringConvertible {
        let message: String
        var description: String { "interop required (ZTNA_REQUIRE_INTEROP=1) but unavailable: \(message)" }
    }

    // MARK: - Discovery

    private init() {
        let environment = ProcessInfo.processInfo.environment
        packageRoot = Self.packageRoot(startingAt: URL(fileURLWithPath: #filePath))
        peerScript = packageRoot.appendingPathComponent("scripts/interop/aioquic_peer.py")
        relayClientScript = packageRoot.appendingPathComponent("scripts/interop/aioquic_relay_client.py")
        isRequired = environment["ZTNA_REQUIRE_INTEROP"] == "1"

        let pythonPath = environment["ZTNA_PYTHON"] ?? packageRoot.appendingPathComponent(".venv/bin/python").path
        python = Self.locatePython(URL(fileURLWithPath: pythonPath), peerScript: peerScript)
        let ztnaPath = environment["ZTNA_BINARY"] ?? packageRoot.appendingPathComponent(".build/debug/ztna").path
        ztna = Self.locateZtna(URL(fileURLWithPath: ztnaPath))
    }

    private static func packageRoot(startingAt file: URL) -> URL {
        var directory = file.deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return file.deletingLastPathComponent()
    }

    private static func locatePython(_ url: URL, peerScript: URL) -> Tool {
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            return Tool(url: nil,
                        problem: "no python at \(url.path) (set ZTNA_PYTHON or run scripts/test to create .venv)")
        }
        guard FileManager.default.fileExists(atPath: peerScript.path) else {
            return Tool(url: nil, problem: "the aioquic peer \(peerScript.path) is missing")
        }
        guard let probe = run(url, ["-c", "import aioquic; print(aioquic.__version__)"]), probe.status == 0 else {
            return Tool(url: nil,
                        problem: "\(url.path) cannot import aioquic (pip install -r scripts/interop/requirements.txt)")
        }
        return Tool(url: url, problem: "")
    }

    private static func locateZtna(_ url: URL) -> Tool {
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            return Tool(url: nil, problem: "no ztna binary at \(url.path) (run `swift build` or set ZTNA_BINARY)")
        }
        guard let probe = run(url, ["quic", "--help"]), probe.status == 0,
              probe.output.contains("server"), probe.output.contains("client")
        else {
            return Tool(url: nil, problem: "\(url.path) has no working `quic server`/`quic client` commands")
        }
        return Tool(url: url, problem: "")
    }

    /// Runs a short probe command, killed after 30 s, returning its exit status and combined output.
    private static func run(_ executable: URL, _ arguments: [String]) -> (status: Int32, output: String)? {
        LabCommand.run(executable, arguments, timeoutSeconds: 30).map { ($0.status, $0.output) }
    }
}
