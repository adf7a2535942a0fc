// `ztna connector` and `ztna agent` as an operator runs them (DESIGN.md §7, issue 5): SIGHUP reloads
// certificate, key, CA bundle and the optional revocation list instead of killing the daemon; a SIGHUP with a
// broken list is logged and the daemon keeps running with the previous files.

import Foundation
import Glibc
import Testing

@Suite(
    "ztna connector and agent: SIGHUP",
    .enabled(if: InteropEnvironment.current.canRunZtnaTests, "needs the ztna binary (see InteropEnvironment)"),
    .timeLimit(.minutes(2))
)
struct NodeCommandReloadTests {
    @Test func connectorSurvivesSighupAndABrokenRevocationList() async throws {
        let directory = try await RelayDaemon.makeDeployment()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let relay = try await RelayDaemon.start(in: directory)
        try await RelayDaemon.issue("connector", "east", services: "web", in: directory)
        let revoked = "\(directory)/revoked.txt"
        try "".write(toFile: revoked, atomically: true, encoding: .utf8)
        let config = "\(directory)/connector.json"
        try """
            { "relays": ["\(relay.address)"], "revocationList": "\(revoked)",
              "services": [ { "id": "web", "ports": [ { "port": 80, "protocol": "tcp", "backend": "127.0.0.1:9" } ] } ] }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let connector = try await Self.start([
            "connector", "--config", config, "--listen", "127.0.0.1:0", "--admin", "off", "--log-level", "info",
            "--cert", "\(directory)/east.crt", "--key", "\(directory)/east.key", "--ca", "\(directory)/ca.crt",
        ], ready: "listening on ")
        try await Self.expectReloads(connector, revoked: revoked, logLine: "connector reloaded credentials")

        let exit = await connector.stop()
        _ = await relay.process.stop()
        #expect(exit.succeeded, "\(exit.stderr)")
        #expect(exit.stderr.contains("connector stopped"), "\(exit.stderr)")
    }

    @Test func agentSurvivesSighupAndABrokenRevocationList() async throws {
        let directory = try await RelayDaemon.makeDeployment()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let relay = try await RelayDaemon.start(in: directory)
        try await RelayDaemon.issue("agent", "alice", services: "web", in: directory)
        let revoked = "\(directory)/revoked.txt"
        try "".write(toFile: revoked, atomically: true, encoding: .utf8)
        let config = "\(directory)/agent.json"
        try #"{ "revocationList": "\#(revoked)" }"#.write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try await Self.start([
            "agent", "--config", config, "--no-tun", "--relay", relay.address, "--admin", "off", "--log-level", "info",
            "--cert", "\(directory)/alice.crt", "--key", "\(directory)/alice.key", "--ca", "\(directory)/ca.crt",
            "--forward", "127.0.0.1:0=web:80",
        ], ready: "forwarding ")
        try await Self.expectReloads(agent, revoked: revoked, logLine: "agent reloaded credentials")

        let exit = await agent.stop()
        _ = await relay.process.stop()
        #expect(exit.succeeded, "\(exit.stderr)")
        #expect(exit.stderr.contains("agent stopped"), "\(exit.stderr)")
    }

    // MARK: - Helpers

    /// Starts `ztna ARGUMENTS…` and returns once it printed a line starting with `ready`.
    static func start(_ arguments: [String], ready: String) async throws -> ChildProcess {
        let process = try ChildProcess(executable: try InteropEnvironment.current.requireZtna(), arguments: arguments,
                                       timeoutSeconds: 60)
        guard await process.firstLine(startingWith: ready) != nil else {
            let exit = await process.exit()
            throw RelayDaemonError(message: "ztna \(arguments[0]) did not start: \(exit.stderr)")
        }
        return process
    }

    /// A SIGHUP right after the readiness line reloads (one serial listed); a SIGHUP with a broken list fails
    /// and the daemon runs on — still answering a third, good SIGHUP.
    static func expectReloads(_ daemon: ChildProcess, revoked: String, logLine: String) async throws {
        try "0a:1b:2c\n".write(toFile: revoked, atomically: true, encoding: .utf8)
        daemon.send(signal: SIGHUP)
        try await waitForLog(daemon, logLine)
        #expect(daemon.stderrSoFar.contains("revoked.serials=1"), "\(daemon.stderrSoFar)")

        try "not a serial\n".write(toFile: revoked, atomically: true, encoding: .utf8)
        daemon.send(signal: SIGHUP)
        try await waitForLog(daemon, "reload failed")
        #expect(daemon.stderrSoFar.contains("\(revoked):1: not a hexadecimal certificate serial"), "\(daemon.stderrSoFar)")

        try "0a:1b:2c\nff\n".write(toFile: revoked, atomically: true, encoding: .utf8)
        daemon.send(signal: SIGHUP)
        try await waitForLog(daemon, "revoked.serials=2")
    }

    /// Waits until the daemon's stderr contains `text` (bounded by the suite's time limit).
    static func waitForLog(_ daemon: ChildProcess, _ text: String) async throws {
        while !daemon.stderrSoFar.contains(text) {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
