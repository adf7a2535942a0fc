import Foundation
import NIOCore
import Synchronization
import ZTNAConfig
import ZTNAIdentity
#if canImport(Glibc)
import Glibc
#endif

/// The relay under test: `ztna relay` run as a child process from the benchmark's own executable, so that its
/// CPU time and memory (from `/proc/PID`) are the relay's alone and the load generator cannot disturb them.
///
/// Start: `ztna relay --listen 127.0.0.1:0 --admin 127.0.0.1:0 --cert … --key … --ca … --retry … --log-level
/// warning`, in the PKI directory (so no `./relay.json` is picked up); ready once it printed
/// `listening on HOST:PORT` and `admin on http://HOST:PORT/`. Stop: SIGTERM (the relay closes every
/// connection and exits within 3 s), SIGKILL after 5 s.
final class RelayBenchChild: Sendable {
    let pid: Int32
    /// The relay's QUIC address.
    let address: SocketAddress
    let adminHost: String
    let adminPort: Int
    private let process: Process
    private let stopped = Mutex(false)

    private init(process: Process, address: SocketAddress, adminHost: String, adminPort: Int) {
        self.process = process
        self.pid = process.processIdentifier
        self.address = address
        self.adminHost = adminHost
        self.adminPort = adminPort
    }

    // MARK: - Starting

    /// Starts the relay with the deployment's relay certificate and waits (up to 15 s) until it listens.
    static func start(executable: String, deployment: ThrowawayDeployment, retry: RetryMode) async throws -> RelayBenchChild {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "relay", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
            "--cert", deployment.relayCertificate, "--key", deployment.relayPrivateKey,
            "--ca", deployment.caCertificate, "--retry", retry.rawValue, "--log-level", "warning",
        ]
        process.currentDirectoryURL = URL(fileURLWithPath: deployment.directory)
        let output = LineCollector()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        // The relay's warnings and errors go to our stderr, next to the progress lines.
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                output.append(data)
            }
        }
        do {
            try process.run()
        } catch {
            throw RelayBenchError("cannot start \(executable) relay: \(error)")
        }
        RelayBenchCleanup.add(child: process.processIdentifier)
        do {
            let (address, admin) = try await waitUntilListening(process: process, output: output)
            return RelayBenchChild(process: process, address: address, adminHost: admin.host, adminPort: admin.port)
        } catch {
            await stop(process)
            throw error
        }
    }

    private static func waitUntilListening(
        process: Process, output: LineCollector
    ) async throws -> (SocketAddress, (host: String, port: Int)) {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let lines = output.lines
            if let listening = lines.lazy.compactMap({ Self.value(after: "listening on ", in: $0) }).first,
               let admin = lines.lazy.compactMap({ Self.value(after: "admin on http://", in: $0) }).first {
                guard let quic = Self.hostPort(listening), let http = Self.hostPort(admin.hasSuffix("/") ? String(admin.dropLast()) : admin),
                      let address = try? SocketAddress(ipAddress: quic.host, port: quic.port) else {
                    throw RelayBenchError("relay printed an address the bench cannot parse: \(lines)")
                }
                return (address, http)
            }
            guard process.isRunning else {
                throw RelayBenchError("relay exited with status \(process.terminationStatus) before listening")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RelayBenchError("relay did not print 'listening on' and 'admin on' within 15 s")
    }

    static func value(after prefix: String, in line: String) -> String? {
        guard line.hasPrefix(prefix) else { return nil }
        return String(line.dropFirst(prefix.count))
    }

    /// `HOST:PORT` with an IPv4 host (the bench listens on 127.0.0.1 only).
    static func hostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65_535).contains(port) else { return nil }
        return (String(text[..<colon]), port)
    }

    // MARK: - Measuring

    /// CPU seconds and RSS now.
    func sample() throws -> RelayBenchProcessSample {
        guard let sample = RelayBenchProcessSample.read(pid: pid) else {
            throw RelayBenchError("cannot read /proc/\(pid) of the relay (exited?)")
        }
        return sample
    }

    /// The relay's `/metrics`.
    func metrics(group: any EventLoopGroup) async throws -> RelayBenchMetrics {
        try await RelayBenchMetrics.scrape(host: adminHost, port: adminPort, group: group)
    }

    // MARK: - Stopping

    /// SIGTERM, then SIGKILL if the relay has not exited after 5 s. Idempotent.
    func terminate() async {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        await Self.stop(process)
    }

    private static func stop(_ process: Process) async {
        let pid = process.processIdentifier
        defer { RelayBenchCleanup.remove(child: pid) }
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

// MARK: - Output lines

/// The child's stdout, split into lines (written from Foundation's reader thread, read by the bench).
private final class LineCollector: Sendable {
    private let state = Mutex<(pending: [UInt8], lines: [String])>(([], []))

    func append(_ data: Data) {
        state.withLock { state in
            state.pending.append(contentsOf: data)
            while let newline = state.pending.firstIndex(of: UInt8(ascii: "\n")) {
                state.lines.append(String(decoding: state.pending[..<newline], as: UTF8.self))
                state.pending.removeSubrange(...newline)
            }
        }
    }

    var lines: [String] { state.withLock { $0.lines } }
}
