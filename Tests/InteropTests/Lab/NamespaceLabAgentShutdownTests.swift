// The agent's graceful shutdown (DESIGN.md §8): SIGTERM with tunnels up ends the process with status 0 within
// the 3 s drain, and it leaves no tunnel device or virtual-IP route behind (trivially so in port-forward mode
// today; the same check runs in the TUN suite).

import Testing

extension NamespaceLabSuites {
    @Suite(
        "lab: agent SIGTERM",
        .enabled(if: LabEnvironment.current.canRun(.portForward), LabEnvironment.current.skipComment(.portForward)),
        .timeLimit(.minutes(2))
    )
    struct NamespaceLabAgentShutdownTests {
        /// The 3 s drain of DESIGN.md §8 plus process start-up/tear-down slack of the test harness.
        static let exitLimit: Duration = .milliseconds(3_500)

        @Test func sigtermExitsZeroWithinTheDrainAndLeavesNothing() async throws {
            try await NamespaceLab.withLab(needing: .portForward) { lab in
                let system = try await LabSystem.start(in: lab, agent: .portForward(LabDeployment.forwards),
                                                       agentUser: .unprivileged)
                let echo = try await LabProbe.eventually(within: .seconds(10)) {
                    try await system.agentClients.udpEcho(host: "127.0.0.1", port: 9999)
                }
                #expect(echo.passed, "\(echo.failure)\n\(system.diagnostics)")
                let (exit, elapsed) = await system.stopAgent()
                #expect(exit.succeeded, "agent exit \(exit.status) (signalled: \(exit.signalled)): \(exit.stderr.suffix(800))")
                #expect(elapsed < Self.exitLimit, "SIGTERM → exit took \(elapsed)")
                try assertNoTunnelLeftovers(namespace: lab.namespace(.agent))
                // The forwards closed with the process: nothing answers on the UDP forward any more.
                let after = try await system.agentClients.udpEcho(host: "127.0.0.1", port: 9999)
                #expect(!after.passed)
            }
        }
    }
}
