// TUN mode end to end (DESIGN.md §4, §5), written against the contract of the agent's TUN mode: the agent
// runs as root with the "tun" key, creates ztna0 with a /32 route per service virtual IP, and kernel
// clients reach the services by their virtual IPs — TCP (curl, iperf3), UDP, and ICMP echo answered by the
// connector.

import Testing

extension NamespaceLabSuites {
    @Suite(
        "lab: TUN mode",
        .enabled(if: LabEnvironment.current.canRun(.tun), LabEnvironment.current.skipComment(.tun)),
        .timeLimit(.minutes(2))
    )
    struct NamespaceLabTUNTests {
        @Test func curlFetchesFromTheWebVirtualIP() async throws {
            try await Self.withTUNSystem { system in
                let url = "http://\(LabDeployment.web.virtualIP):\(LabDeployment.web.port)\(LabSystem.webPath)"
                let web = try await LabProbe.eventually(within: .seconds(10)) {
                    try await system.agentClients.fetch(url, expecting: system.webFile)
                }
                #expect(web.passed, "\(web.failure)\n\(system.diagnostics)")
            }
        }

        @Test func udpEchoThroughTheEchoVirtualIP() async throws {
            try await Self.withTUNSystem { system in
                let echo = try await LabProbe.eventually(within: .seconds(10)) {
                    try await system.agentClients.udpEcho(host: LabDeployment.echo.virtualIP, port: LabDeployment.echo.port,
                                                          size: 1000)
                }
                #expect(echo.passed, "\(echo.failure)\n\(system.diagnostics)")
            }
        }

        @Test func pingTheEchoVirtualIPIsAnsweredByTheConnector() async throws {
            try await Self.withTUNSystem { system in
                let ping = try await LabProbe.eventually(within: .seconds(10)) {
                    try await system.agentClients.ping(LabDeployment.echo.virtualIP, count: 3)
                }
                #expect(ping.passed, "\(ping.failure)\n\(system.diagnostics)")
            }
        }

        @Test func iperf3ThroughTheTunnel() async throws {
            try await Self.withTUNSystem { system in
                let (probe, bytes) = try await system.agentClients.iperf(LabDeployment.iperf.virtualIP,
                                                                         port: LabDeployment.iperf.port, seconds: 3)
                #expect(probe.passed, "\(probe.failure)\n\(system.diagnostics)")
                #expect(bytes > 0)
            }
        }

        @Test func sigtermLeavesNoDeviceAndNoRoute() async throws {
            try await Self.withTUNSystem { system in
                let links = try system.lab.ip(["-o", "link", "show", LabDeployment.tunName],
                                              in: system.lab.namespace(.agent))
                #expect(links.contains(LabDeployment.tunName), "the agent did not create \(LabDeployment.tunName)")
                let routes = try system.lab.ip(["-o", "route", "show"], in: system.lab.namespace(.agent))
                for service in LabDeployment.services {
                    #expect(routes.contains("\(service.virtualIP) dev \(LabDeployment.tunName)"), "\(routes)")
                }
                let (exit, elapsed) = await system.stopAgent()
                #expect(exit.succeeded, "agent exit \(exit.status): \(exit.stderr.suffix(800))")
                #expect(elapsed < NamespaceLabAgentShutdownTests.exitLimit, "SIGTERM → exit took \(elapsed)")
                try assertNoTunnelLeftovers(namespace: system.lab.namespace(.agent))
            }
        }

        /// A lab with the agent in TUN mode (root), ready (registered, tunnels up), and iperf3 behind `iperf`.
        private static func withTUNSystem(_ body: (LabSystem) async throws -> Void) async throws {
            try await NamespaceLab.withLab(needing: .tun) { lab in
                try await body(try await LabSystem.start(in: lab, agent: .tun, agentUser: .root))
            }
        }
    }
}
