import Foundation
import Testing
import ZTNAConfig
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// SIGHUP on the agent (DESIGN.md §7): a reload that revokes nobody it talks to keeps its tunnels; one that
/// revokes the connector's serial closes them and refuses new ones; an agent that starts with the connector
/// revoked never opens a tunnel to it.
@Suite("End to end: agent reload with a revocation list", .timeLimit(.minutes(3)))
struct AgentReloadEndToEndTests {
    @Test func revokingTheConnectorClosesTheAgentsTunnels() async throws {
        let directory = NSTemporaryDirectory() + "ztna-revocations-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let revoked = directory + "/revoked.txt"
        try "".write(toFile: revoked, atomically: true, encoding: .utf8)

        let demo = try await Demo.start(logger: LoopbackEndToEndTests.logger, revocationList: revoked)
        var second: AgentServer?
        do {
            _ = try await demo.exercise(tcpBytes: 16 << 10, udpEchoes: 2)
            let web = try #require(ServiceID("web"))
            let tunnels = await demo.agent.status().tunnels.map(\.openedAt)
            #expect(tunnels.count == 2)

            // Someone else's serial: nothing is closed, the tunnels are the same ones.
            try "0a:1b:2c\n".write(toFile: revoked, atomically: true, encoding: .utf8)
            #expect(try await demo.agent.reload() == 0)
            #expect(await demo.agent.status().tunnels.map(\.openedAt) == tunnels)
            try await ConnectorReloadEndToEndTests.expectEcho(through: demo.tcpForward, "the agent after a reload")

            // The connector's serial: both tunnels are closed, and no new one is admitted.
            let connectorSerial = try PeerIdentity.load(path: demo.connector.settings.certificate).serial
            try "0a:1b:2c\n\(connectorSerial)\n".write(toFile: revoked, atomically: true, encoding: .utf8)
            #expect(try await demo.agent.reload() == 2)
            try await withTimeLimit(.seconds(20), "the closed tunnels going down") {
                while !(await demo.agent.status().tunnels.isEmpty) { try await Task.sleep(for: .milliseconds(20)) }
            }
            await #expect(throws: TunnelOpenError.self) { try await demo.agent.tunnel(for: web) }
            #expect(await demo.agent.readiness() != .ready)
            // The relay connection was not dropped.
            #expect(await demo.agent.status().relays.map(\.connects) == [1])

            // An agent that starts with the list refuses the connector from its first tunnel on.
            let bob = try demo.deployment.issue(.agent, name: "second-agent", services: .services([web]))
            let forward = ForwardConfig(listen: HostPort(host: "127.0.0.1", port: 0), service: web, port: 80,
                                        protocol: .tcp)
            var settings = AgentSettings(
                relays: demo.agent.settings.relays, certificate: bob.certificate, privateKey: bob.privateKey,
                trustRoots: demo.deployment.caCertificate, admin: nil,
                services: AgentService.completing([], forwards: [forward]), forwards: [forward])
            settings.bindHost = "127.0.0.1"
            settings.revocationList = revoked
            let agent = try AgentServer(settings: settings, registry: MetricsRegistry(), logger: LoopbackEndToEndTests.logger)
            second = agent
            _ = try await agent.start()
            do {
                _ = try await agent.tunnel(for: web)
                Issue.record("a tunnel to a revoked connector was opened")
            } catch {
                #expect("\(error)".contains("serial \(connectorSerial) is revoked"), "\(error)")
            }
        } catch {
            await second?.shutdown()
            await demo.stop()
            throw error
        }
        await second?.shutdown()
        await demo.stop()
    }
}
