// A running ztna system in a lab: the backends and the connector in the connector namespace, the relay in the
// relay namespace, the agent in the agent namespace — started in that order, each waited for by what it
// prints and by its admin `/readyz` (DESIGN.md §8), every wait bounded.

import Foundation

/// Relay, connector, agent and backends running in one `NamespaceLab`.
struct LabSystem: Sendable {
    /// Where the web backend serves `webFile`.
    static let webPath = "/blob.bin"
    static let webFileSize = 512 * 1024
    /// How long a daemon may take to become ready (registration, tunnel handshakes) on a loaded machine.
    static let readinessLimit: Duration = .seconds(40)

    let lab: NamespaceLab
    let deployment: LabDeployment
    let agentMode: LabDeployment.AgentMode
    /// Random bytes, served by the web backend at `webPath`.
    let webFile: [UInt8]
    private(set) var relay: LabProcess
    private(set) var connector: LabProcess
    private(set) var agent: LabProcess

    /// Clients in the agent's namespace.
    var agentClients: LabClients { LabClients(lab: lab, node: .agent) }

    // MARK: - Start

    /// Issues the PKI, starts the backends (and iperf3 for the TUN mode), the relay, the connector and the
    /// agent, and returns once the agent's `/readyz` says it is registered with its tunnels up.
    static func start(in lab: NamespaceLab, agent mode: LabDeployment.AgentMode,
                      agentUser: NamespaceLab.User) async throws -> LabSystem {
        let deployment = try await LabDeployment.create(in: lab, agentUser: agentUser)
        try deployment.writeAgentConfig(mode)
        let webFile = (0..<webFileSize).map { _ in UInt8.random(in: 0...255) }
        try await startBackends(in: lab, deployment: deployment, webFile: webFile, mode: mode)
        let relay = try await startRelay(lab, deployment)
        let connector = try await startConnector(lab, deployment)
        let agent = try await startAgent(lab, deployment, mode)
        let system = LabSystem(lab: lab, deployment: deployment, agentMode: mode, webFile: webFile, relay: relay,
                               connector: connector, agent: agent)
        try await system.waitUntilReady(.connector, connector)
        try await system.waitUntilReady(.agent, agent)
        return system
    }

    // MARK: - Restarts and stops

    /// SIGTERM to the relay, then a new relay on the same address; returns the old relay's exit.
    mutating func restartRelay() async throws -> ChildProcess.Exit {
        let exit = await relay.stop()
        relay = try await Self.startRelay(lab, deployment)
        return exit
    }

    /// SIGTERM to the connector, then a new one with the same configuration; returns the old one's exit.
    mutating func restartConnector() async throws -> ChildProcess.Exit {
        let exit = await connector.stop()
        connector = try await Self.startConnector(lab, deployment)
        return exit
    }

    /// SIGTERM to the agent; its exit and how long it took.
    func stopAgent() async -> (exit: ChildProcess.Exit, elapsed: Duration) {
        let stopping = ContinuousClock.now
        let exit = await agent.stop()
        return (exit, ContinuousClock.now - stopping)
    }

    /// The three daemons' states and log tails, for failure messages.
    var diagnostics: String {
        [relay, connector, agent].map(\.diagnostics).joined(separator: "\n---\n")
    }

    // MARK: - Readiness

    /// Polls `curl http://127.0.0.1:ADMIN/readyz` inside `node` until it answers 200, `process` exits, or
    /// `readinessLimit` passes.
    func waitUntilReady(_ node: NamespaceLab.Node, _ process: LabProcess) async throws {
        let curl = try LabEnvironment.current.tool("curl")
        let url = "http://127.0.0.1:\(LabDeployment.adminPorts[node] ?? 0)/readyz"
        let deadline = ContinuousClock.now + Self.readinessLimit
        var last = ""
        while ContinuousClock.now < deadline {
            if process.hasExited { throw LabError("\(process.name) exited before it was ready\n\(diagnostics)") }
            let exit = try await lab.run(curl, ["-sS", "--fail-with-body", "--max-time", "2", url], in: node)
            if exit.succeeded { return }
            last = exit.stdout + exit.stderr
            try await Task.sleep(for: .milliseconds(200))
        }
        throw LabError("\(process.name) not ready within \(Self.readinessLimit): \(last)\n\(diagnostics)")
    }

    // MARK: - Processes

    private static func startRelay(_ lab: NamespaceLab, _ deployment: LabDeployment) async throws -> LabProcess {
        let relay = try lab.start("relay", deployment.ztna, ["relay", "--config", deployment.relayConfig], in: .relay)
        try await expectLine("listening on ", from: relay)
        return relay
    }

    private static func startConnector(_ lab: NamespaceLab, _ deployment: LabDeployment) async throws -> LabProcess {
        let connector = try lab.start("connector", deployment.ztna, ["connector", "--config", deployment.connectorConfig],
                                      in: .connector)
        try await expectLine("listening on ", from: connector)
        return connector
    }

    private static func startAgent(_ lab: NamespaceLab, _ deployment: LabDeployment,
                                   _ mode: LabDeployment.AgentMode) async throws -> LabProcess {
        try lab.start("agent", deployment.agentZtna, deployment.agentArguments(mode), in: .agent,
                      as: deployment.agentUser)
    }

    /// The web backend (python3 http.server), the UDP echo backend (`ztna echo`), and in TUN mode iperf3 — all
    /// on the connector namespace's loopback, where the connector's services point.
    private static func startBackends(in lab: NamespaceLab, deployment: LabDeployment, webFile: [UInt8],
                                      mode: LabDeployment.AgentMode) async throws {
        let root = "\(lab.directory)/www"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data(webFile).write(to: URL(fileURLWithPath: root + webPath))
        let web = try lab.start("web backend", try LabEnvironment.current.tool("python3"),
                                ["-m", "http.server", String(LabDeployment.web.backendPort), "--bind", "127.0.0.1",
                                 "--directory", root], in: .connector)
        try await expectLine("Serving HTTP on", from: web)
        let echo = try lab.start("echo backend", deployment.ztna,
                                 ["echo", "--udp", String(LabDeployment.echo.backendPort)], in: .connector)
        try await expectLine("udp listening on", from: echo)
        if case .tun = mode {
            let iperf = try lab.start("iperf3 server", try LabEnvironment.current.tool("iperf3"),
                                      ["-s", "-B", "127.0.0.1", "-p", String(LabDeployment.iperf.backendPort),
                                       "--forceflush"], in: .connector)
            try await expectLine("Server listening on", from: iperf)
        }
    }

    /// Waits for `process`'s ready line; it ends when the process exits, and the watchdog bounds the process.
    private static func expectLine(_ prefix: String, from process: LabProcess) async throws {
        guard await process.firstLine(startingWith: prefix) != nil else {
            throw LabError("\(process.name) did not print '\(prefix)…'\n\(process.diagnostics)")
        }
    }
}
