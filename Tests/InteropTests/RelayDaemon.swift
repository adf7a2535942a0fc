// `ztna relay` as a child process with a throwaway deployment PKI made by `ztna certs`, for the tests of the
// relay's command line and of foreign relay clients.

import Foundation
import Testing

/// A deployment directory (CA, relay, and client certificates issued on demand) and a running relay.
struct RelayDaemon {
    let directory: String
    let process: ChildProcess
    /// `127.0.0.1:PORT` the relay listens on.
    let address: String

    /// Runs `ztna ARGUMENTS…` to completion (certs, or a relay expected to refuse to start).
    static func ztna(_ arguments: [String], timeoutSeconds: Int = 30) async throws -> ChildProcess.Exit {
        let process = try ChildProcess(executable: try InteropEnvironment.current.requireZtna(), arguments: arguments,
                                       timeoutSeconds: timeoutSeconds)
        return await process.exit()
    }

    /// A fresh directory with `ca.crt` and a relay certificate `localhost.crt` for localhost and 127.0.0.1.
    static func makeDeployment() async throws -> String {
        let directory = NSTemporaryDirectory() + "ztna-relay-test-\(UUID().uuidString)"
        for arguments in [["certs", "init", "--dir", directory],
                          ["certs", "issue", "relay", "--name", "localhost", "--name", "127.0.0.1", "--dir", directory]] {
            let exit = try await ztna(arguments)
            try #require(exit.succeeded, "ztna \(arguments.joined(separator: " ")): \(exit.stderr)")
        }
        return directory
    }

    /// Issues `NAME.crt`/`NAME.key` for an agent or connector in `directory`.
    static func issue(_ role: String, _ name: String, services: String, in directory: String) async throws {
        let exit = try await ztna(["certs", "issue", role, "--name", name, "--services", services, "--dir", directory])
        try #require(exit.succeeded, "ztna certs issue \(role) \(name): \(exit.stderr)")
    }

    /// Starts `ztna relay` on 127.0.0.1:0 with the deployment's relay certificate and `extra` arguments;
    /// returns once it printed `listening on`.
    static func start(in directory: String, extra: [String] = []) async throws -> RelayDaemon {
        let arguments = ["relay", "--listen", "127.0.0.1:0", "--admin", "off", "--log-level", "info",
                         "--cert", "\(directory)/localhost.crt", "--key", "\(directory)/localhost.key",
                         "--ca", "\(directory)/ca.crt"] + extra
        let process = try ChildProcess(executable: try InteropEnvironment.current.requireZtna(), arguments: arguments,
                                       timeoutSeconds: 60)
        guard let line = await process.firstLine(startingWith: "listening on ") else {
            let exit = await process.exit()
            throw RelayDaemonError(message: "ztna relay did not start: \(exit.stderr)")
        }
        return RelayDaemon(directory: directory, process: process, address: String(line.dropFirst("listening on ".count)))
    }

    /// Waits until the relay's stderr contains `text` (bounded by the suite's time limit).
    func waitForLog(_ text: String) async throws {
        while !process.stderrSoFar.contains(text) {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

struct RelayDaemonError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
