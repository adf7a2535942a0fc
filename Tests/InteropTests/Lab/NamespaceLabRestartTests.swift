// Restarts mid-session (DESIGN.md §8: reconnection with backoff; tunnels survive a relay change): with
// traffic flowing, the relay — or the connector — gets SIGTERM and starts again on the same address, and
// traffic through the untouched agent resumes within 45 s, with neither other daemon restarted.

import Testing

extension NamespaceLabSuites {
    @Suite(
        "lab: relay and connector restarts mid-session",
        .enabled(if: LabEnvironment.current.canRun(.portForward), LabEnvironment.current.skipComment(.portForward)),
        .timeLimit(.minutes(3))
    )
    struct NamespaceLabRestartTests {
        /// How long traffic may take to come back: backoff (1 s doubling) plus handshakes on a loaded machine.
        static let resumeLimit: Duration = .seconds(45)

        @Test func trafficResumesAfterTheRelayRestarts() async throws {
            try await NamespaceLab.withLab(needing: .portForward) { lab in
                var system = try await LabSystem.start(in: lab, agent: .portForward(LabDeployment.forwards),
                                                       agentUser: .unprivileged)
                try await Self.expectTraffic(system, within: .seconds(10), "before the restart")
                let (agent, connector) = (system.agent, system.connector)
                let exit = try await system.restartRelay()
                #expect(exit.succeeded, "the relay's SIGTERM exit: \(exit.stderr.suffix(800))")
                try await Self.expectTraffic(system, within: Self.resumeLimit, "after the relay restarted")
                #expect(system.agent === agent && !agent.hasExited, "\(agent.diagnostics)")
                #expect(system.connector === connector && !connector.hasExited, "\(connector.diagnostics)")
            }
        }

        @Test func trafficResumesAfterTheConnectorRestarts() async throws {
            try await NamespaceLab.withLab(needing: .portForward) { lab in
                var system = try await LabSystem.start(in: lab, agent: .portForward(LabDeployment.forwards),
                                                       agentUser: .unprivileged)
                try await Self.expectTraffic(system, within: .seconds(10), "before the restart")
                let (agent, relay) = (system.agent, system.relay)
                let exit = try await system.restartConnector()
                #expect(exit.succeeded, "the connector's SIGTERM exit: \(exit.stderr.suffix(800))")
                try await Self.expectTraffic(system, within: Self.resumeLimit, "after the connector restarted")
                #expect(system.agent === agent && !agent.hasExited, "\(agent.diagnostics)")
                #expect(system.relay === relay && !relay.hasExited, "\(relay.diagnostics)")
            }
        }

        /// A byte-exact web fetch and a UDP echo through the agent's forwards, each retried within `limit`.
        private static func expectTraffic(_ system: LabSystem, within limit: Duration, _ when: String) async throws {
            let clients = system.agentClients
            let web = try await LabProbe.eventually(within: limit) {
                try await clients.fetch("http://127.0.0.1:8080\(LabSystem.webPath)", expecting: system.webFile)
            }
            #expect(web.passed, "web \(when): \(web.failure)\n\(system.diagnostics)")
            let echo = try await LabProbe.eventually(within: limit) {
                try await clients.udpEcho(host: "127.0.0.1", port: 9999)
            }
            #expect(echo.passed, "UDP echo \(when): \(echo.failure)\n\(system.diagnostics)")
        }
    }
}
