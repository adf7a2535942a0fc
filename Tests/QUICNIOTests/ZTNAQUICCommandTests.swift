import Foundation
import QUICTestFixtures
import Synchronization
import Testing

/// The built `ztna` executable: next to the test bundle (`swift build` puts every product of the package in
/// the same directory), else under the package's `.build/debug`.
let ztnaExecutable: URL? = {
    var candidates: [URL] = []
    if let executable = Bundle.main.executableURL {
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("ztna"))
    }
    candidates.append(Bundle.main.bundleURL.appendingPathComponent("ztna"))
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("ztna"))
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    candidates.append(packageRoot.appendingPathComponent(".build/debug/ztna"))
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}()

/// A child process whose output is collected without blocking the cooperative thread pool.
final class ChildProcess: Sendable {
    private struct Output {
        var stdout = Data()
        var stderr = Data()
        var lineWaiters: [CheckedContinuation<String?, Never>] = []
        var stdoutClosed = false
    }

    private let process: Process
    private let output = Mutex(Output())
    private let exit = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    init(_ executable: URL, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        self.process = process
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            self.stdoutReceived(data)
        }
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            self.output.withLock { $0.stderr.append(data) }
        }
        process.terminationHandler = { process in
            let waiters = self.exit.withLock { state in
                state.status = process.terminationStatus
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: process.terminationStatus) }
        }
        try process.run()
    }

    private func stdoutReceived(_ data: Data) {
        let (waiters, line): ([CheckedContinuation<String?, Never>], String?) = output.withLock { state in
            if data.isEmpty { state.stdoutClosed = true } else { state.stdout.append(data) }
            guard state.stdoutClosed || state.stdout.contains(UInt8(ascii: "\n")) else { return ([], nil) }
            defer { state.lineWaiters.removeAll() }
            return (state.lineWaiters, Self.firstLine(of: state.stdout))
        }
        for waiter in waiters { waiter.resume(returning: line) }
    }

    private static func firstLine(of data: Data) -> String? {
        guard let newline = data.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        return String(decoding: data[..<newline], as: UTF8.self)
    }

    /// The first line of stdout (nil if stdout closed without one).
    func firstLine() async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let ready: String?? = output.withLock { state in
                if state.stdoutClosed || state.stdout.contains(UInt8(ascii: "\n")) {
                    return .some(Self.firstLine(of: state.stdout))
                }
                state.lineWaiters.append(continuation)
                return .none
            }
            if let line = ready { continuation.resume(returning: line) }
        }
    }

    /// The exit status, once the process ended.
    func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status: Int32? = exit.withLock { state in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    var standardError: String { output.withLock { String(decoding: $0.stderr, as: UTF8.self) } }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    func terminateIfRunning() {
        if process.isRunning { process.terminate() }
    }
}

@Suite("ztna quic server / client (the built executable)")
struct ZTNAQUICCommandTests {
    /// Starts `ztna quic server` and returns it with the port it printed.
    private func startServer(_ executable: URL, _ extra: [String], setup: TestSetup) async throws -> (ChildProcess, Int) {
        let server = try ChildProcess(executable, [
            "quic", "server", "--port", "0", "--alpn", testALPN, "--cert", setup.files.serverCertificate,
            "--key", setup.files.serverPrivateKey, "--echo",
        ] + extra)
        let line = try #require(await server.firstLine(), "the server printed nothing: \(server.standardError)")
        #expect(line.hasPrefix("listening on 127.0.0.1:"))
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0) })
        return (server, port)
    }

    /// Runs `ztna quic client` and returns its exit status and parsed JSON line.
    private func runClient(_ executable: URL, port: Int, _ extra: [String],
                           setup: TestSetup) async throws -> (Int32, [String: Any]) {
        let client = try ChildProcess(executable, [
            "quic", "client", "127.0.0.1:\(port)", "--alpn", testALPN, "--ca", setup.files.caCertificate,
            "--timeout", "10",
        ] + extra)
        let status = await client.exitStatus()
        let line = try #require(await client.firstLine(), "the client printed nothing: \(client.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return (status, try #require(object as? [String: Any]))
    }

    @Test(.enabled(if: ztnaExecutable != nil, "the ztna executable is not built (run swift build first)"))
    func echoServerAndClientVerifyTheExchange() async throws {
        let executable = try #require(ztnaExecutable)
        let setup = try TestSetup()
        defer { setup.remove() }
        try await withTimeout(.seconds(30)) {
            let (server, port) = try await self.startServer(executable, [], setup: setup)
            defer { server.terminateIfRunning() }

            let (status, report) = try await self.runClient(executable, port: port, [
                "--datagrams", "50", "--size", "600", "--stream-bytes", "300000", "--ciphers", "chacha20",
                "--server-name", "localhost",
            ], setup: setup)
            #expect(status == 0)
            #expect(report["ok"] as? Bool == true)
            #expect(report["alpn"] as? String == testALPN)
            #expect(report["cipher"] as? String == "TLS_CHACHA20_POLY1305_SHA256")
            #expect(report["group"] as? String == "X25519MLKEM768")
            #expect(report["datagramsSent"] as? Int == 50)
            #expect(report["datagramsEchoed"] as? Int == 50)
            #expect(report["streamBytesSent"] as? Int == 300_000)
            #expect(report["streamBytesEchoed"] as? Int == 300_000)
            #expect((report["handshakeMs"] as? Double ?? -1) > 0)
            #expect(report["error"] is NSNull)

            // A client offering another ALPN fails the handshake: ok false, exit status 1.
            let (refused, failure) = try await self.runClient(executable, port: port, [
                "--stream-bytes", "10",
            ].map { $0 } + ["--alpn", "other"], setup: setup)
            #expect(refused == 1)
            #expect(failure["ok"] as? Bool == false)
            #expect((failure["error"] as? String)?.contains("handshake failed") == true)

            // SIGTERM: the server closes its connections and exits 0.
            server.signal(SIGTERM)
            #expect(await server.exitStatus() == 0)
        }
    }

    @Test(.enabled(if: ztnaExecutable != nil, "the ztna executable is not built (run swift build first)"))
    func mutualTLSAndRetry() async throws {
        let executable = try #require(ztnaExecutable)
        let setup = try TestSetup()
        defer { setup.remove() }
        try await withTimeout(.seconds(30)) {
            let (server, port) = try await self.startServer(
                executable, ["--ca", setup.files.caCertificate, "--require-client-cert", "--retry"], setup: setup)
            defer { server.terminateIfRunning() }

            let (status, report) = try await self.runClient(executable, port: port, [
                "--cert", setup.files.clientCertificate, "--key", setup.files.clientPrivateKey,
                "--stream-bytes", "50000", "--datagrams", "20", "--size", "100",
            ], setup: setup)
            #expect(status == 0)
            #expect(report["ok"] as? Bool == true)
            #expect(report["streamBytesEchoed"] as? Int == 50_000)

            // Without a certificate the server refuses the client (CRYPTO_ERROR): ok false.
            let (refused, failure) = try await self.runClient(executable, port: port, ["--stream-bytes", "10"],
                                                              setup: setup)
            #expect(refused == 1)
            #expect(failure["ok"] as? Bool == false)
            #expect((failure["error"] as? String)?.contains("CRYPTO_ERROR") == true)

            server.signal(SIGINT)
            #expect(await server.exitStatus() == 0)
        }
    }

    @Test(.enabled(if: ztnaExecutable != nil, "the ztna executable is not built (run swift build first)"))
    func badArgumentsFailClearly() async throws {
        let executable = try #require(ztnaExecutable)
        try await withTimeout {
            let badAddress = try ChildProcess(executable, ["quic", "client", "no-port-here", "--alpn", "x"])
            #expect(await badAddress.exitStatus() != 0)
            #expect(badAddress.standardError.contains("bad address"))

            let missingFile = try ChildProcess(executable, [
                "quic", "server", "--port", "0", "--alpn", "x", "--cert", "/nonexistent/cert.pem",
                "--key", "/nonexistent/key.pem",
            ])
            #expect(await missingFile.exitStatus() != 0)
            #expect(missingFile.standardError.contains("/nonexistent/cert.pem"))
        }
    }
}
