// Port-forward mode end to end (DESIGN.md §4, §5, §9): the agent runs unprivileged (nobody:nogroup, its key
// 0600 and owned by nobody) in its own namespace and reaches the web and echo services behind the connector
// through the relay, with real clients: curl byte-exact, and a UDP echo.

import Foundation
import Testing

extension NamespaceLabSuites {
    @Suite(
        "lab: port-forward mode from an unprivileged agent",
        .enabled(if: LabEnvironment.current.canRun(.portForward), LabEnvironment.current.skipComment(.portForward)),
        .timeLimit(.minutes(3))
    )
    struct NamespaceLabPortForwardTests {
        @Test func unprivilegedAgentForwardsTCPAndUDPThroughTheRelay() async throws {
            try await NamespaceLab.withLab(needing: .portForward) { lab in
                let system = try await LabSystem.start(in: lab, agent: .portForward(LabDeployment.forwards),
                                                       agentUser: .unprivileged)
                // The agent really is unprivileged: every ztna process in its namespace runs as nobody.
                let owners = try Self.ztnaProcessOwners(in: lab.namespace(.agent))
                #expect(!owners.isEmpty && owners.allSatisfy { $0 == "65534" }, "uids of ztna in the agent namespace: \(owners)")

                let clients = system.agentClients
                let web = try await clients.fetch("http://127.0.0.1:8080\(LabSystem.webPath)", expecting: system.webFile)
                #expect(web.passed, "\(web.failure)\n\(system.diagnostics)")
                for _ in 0..<3 {
                    let echo = try await clients.udpEcho(host: "127.0.0.1", port: 9999, size: 1000)
                    #expect(echo.passed, "\(echo.failure)\n\(system.diagnostics)")
                }
                #expect(!system.agent.hasExited && !system.connector.hasExited && !system.relay.hasExited,
                        "\(system.diagnostics)")
            }
        }

        /// Real uids (`/proc/PID/status`) of the `ztna` processes in `namespace`.
        private static func ztnaProcessOwners(in namespace: String) throws -> [String] {
            let ip = try LabEnvironment.current.tool("ip")
            return try LabCommand.check(ip, ["netns", "pids", namespace]).split(whereSeparator: \.isWhitespace)
                .compactMap { pid -> String? in
                    guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                          comm.trimmingCharacters(in: .whitespacesAndNewlines) == "ztna",
                          let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                          let uid = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
                    else { return nil }
                    return uid.split(whereSeparator: \.isWhitespace).dropFirst().first.map(String.init)
                }
        }
    }
}
