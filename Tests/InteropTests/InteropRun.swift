// One interop run: start a server process, wait until it listens, run a client process against it, collect
// the client's JSON report, stop the server — with every process and temporary file cleaned up on every path.

import Foundation
import QUICTestFixtures

/// Runs one server/client exchange between two implementations on 127.0.0.1.
enum InteropRun {
    /// The ALPN both sides use.
    static let alpn = "ztna-interop"
    /// The name the test server certificate is valid for.
    static let serverName = "localhost"
    /// Every process is killed by its watchdog after this long; clients get `--timeout` well below it.
    static let processTimeoutSeconds = 30
    static let clientTimeoutSeconds = 20

    /// What the server is asked to do (it always echoes).
    struct Server: Sendable {
        /// Demand a client certificate chaining to the test CA (mTLS).
        var requireClientCertificate = false
        /// Validate the client's address with a Retry first (RFC 9000 §8.1.2).
        var retry = false
    }

    /// Which certificate the client presents.
    enum ClientIdentity: Sendable {
        case none
        /// client.crt, signed by the test CA.
        case trusted
        /// rogue.crt, signed by an unrelated CA.
        case untrusted
    }

    /// What the client is asked to do.
    struct Client: Sendable {
        var identity = ClientIdentity.none
        /// Trust the test CA that signed the server's certificate; false: trust only an unrelated CA.
        var trustsServer = true
        /// Restrict the offered cipher suites: aes128, aes256 or chacha20.
        var ciphers: String?
        var datagrams = 0
        var datagramSize = 1000
        var streamBytes = 0
        /// Start a 1-RTT key update (RFC 9001 §6) before the exchange.
        var keyUpdate = false
        /// aioquic only: move to a new connection ID after the handshake and again half-way (RFC 9000 §5.1.2).
        var changeConnectionID = false
        /// aioquic only: move to a new source port once half of the echo is back (a NAT rebinding).
        var rebind = false
    }

    /// The client's exit and report, with a transcript of both processes for failure messages.
    struct Outcome: Sendable, CustomStringConvertible {
        let exit: ChildProcess.Exit
        let report: ClientReport?
        let transcript: String

        var description: String { transcript }
    }

    /// The server did not print its `listening on` line.
    struct ServerDidNotStart: Error, CustomStringConvertible {
        let transcript: String
        var description: String { "the server never printed `listening on`\n\(transcript)" }
    }

    // MARK: - Running

    /// Starts `pairing.server`, runs `pairing.client` against it and returns the client's outcome.
    static func run(_ pairing: Pairing, server: Server = Server(), client: Client = Client()) async throws -> Outcome {
        let certificates = try TestCertificates.writeToTemporaryDirectory()
        defer { certificates.remove() }
        let port = try FreeUDPPort.next()
        let serverProcess = try launch(pairing.server, serverArguments(pairing.server, server, port, certificates))

        var clientCommand = ""
        let clientExit: Result<ChildProcess.Exit, any Error>
        do {
            guard await serverProcess.firstLine(startingWith: "listening on") != nil else {
                throw ServerDidNotStart(transcript: "")
            }
            let clientProcess = try launch(pairing.client, clientArguments(pairing.client, client, port, certificates))
            clientCommand = clientProcess.commandLine
            clientExit = .success(await clientProcess.exit())
        } catch {
            clientExit = .failure(error)
        }
        let serverExit = await serverProcess.stop()

        var transcript = "$ \(serverProcess.commandLine)\n" + describe(serverExit, as: "server")
        switch clientExit {
        case .failure(let error as ServerDidNotStart):
            throw ServerDidNotStart(transcript: transcript + error.transcript)
        case .failure(let error):
            throw error
        case .success(let exit):
            transcript += "$ \(clientCommand)\n" + describe(exit, as: "client")
            return Outcome(exit: exit, report: ClientReport.parse(stdout: exit.stdout), transcript: transcript)
        }
    }

    // MARK: - Command lines

    private static func launch(_ implementation: Implementation, _ arguments: [String]) throws -> ChildProcess {
        let environment = InteropEnvironment.current
        switch implementation {
        case .ztna:
            return try ChildProcess(executable: try environment.requireZtna(), arguments: ["quic"] + arguments,
                                    timeoutSeconds: processTimeoutSeconds)
        case .aioquic:
            return try ChildProcess(executable: try environment.requirePython(),
                                    arguments: [environment.peerScript.path] + arguments,
                                    timeoutSeconds: processTimeoutSeconds)
        }
    }

    private static func serverArguments(
        _ implementation: Implementation, _ server: Server, _ port: UInt16, _ files: TestCertificates.Files
    ) -> [String] {
        var arguments = ["server", "--port", "\(port)", "--alpn", alpn,
                         "--cert", files.serverCertificate, "--key", files.serverPrivateKey]
        if server.requireClientCertificate { arguments += ["--ca", files.caCertificate, "--require-client-cert"] }
        if server.retry { arguments.append("--retry") }
        // The aioquic peer always echoes; ours does when asked.
        if implementation == .ztna { arguments.append("--echo") }
        return arguments
    }

    private static func clientArguments(
        _ implementation: Implementation, _ client: Client, _ port: UInt16, _ files: TestCertificates.Files
    ) -> [String] {
        let trustAnchor = client.trustsServer ? files.caCertificate : files.otherCACertificate
        var arguments = ["client", "127.0.0.1:\(port)", "--alpn", alpn, "--ca", trustAnchor,
                         "--server-name", serverName, "--timeout", "\(clientTimeoutSeconds)"]
        switch client.identity {
        case .none: break
        case .trusted: arguments += ["--cert", files.clientCertificate, "--key", files.clientPrivateKey]
        case .untrusted: arguments += ["--cert", files.rogueCertificate, "--key", files.roguePrivateKey]
        }
        if let ciphers = client.ciphers { arguments += ["--ciphers", ciphers] }
        if client.datagrams > 0 {
            arguments += ["--datagrams", "\(client.datagrams)", "--size", "\(client.datagramSize)"]
        }
        if client.streamBytes > 0 { arguments += ["--stream-bytes", "\(client.streamBytes)"] }
        if client.keyUpdate { arguments.append("--key-update") }
        if client.changeConnectionID { arguments.append("--change-cid") }
        if client.rebind { arguments.append("--rebind") }
        return arguments
    }

    private static func describe(_ exit: ChildProcess.Exit, as role: String) -> String {
        let how = exit.signalled ? "killed by signal \(exit.status)" : "exit status \(exit.status)"
        return "\(role) \(how)\(exit.timedOut ? " (watchdog: timed out)" : "")\n"
            + "\(role) stdout:\n\(tail(exit.stdout))\n\(role) stderr:\n\(tail(exit.stderr))\n"
    }

    /// The end of a process's output: enough to diagnose, short enough to read in a test report.
    private static func tail(_ text: String, limit: Int = 4000) -> String {
        text.count <= limit ? text : "…" + text.suffix(limit)
    }
}
