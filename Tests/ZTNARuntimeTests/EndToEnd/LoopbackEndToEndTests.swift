import Foundation
import Logging
import NIOCore
import QUICCore
import QUICNIO
import QUICTLS
import Testing
import ZTNAConfig
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// The whole product on loopback without root (issue 5, "Loopback version of the same flow"): relay,
/// connector in front of a web app and an echo server, agent in port-forward mode — the demo's set-up —
/// with real clients on the agent's local ports.
@Suite("End to end on loopback (relay + connector + agent)", .timeLimit(.minutes(3)), .serialized)
struct LoopbackEndToEndTests {
    static let logger: Logger = {
        var logger = Logger(label: "e2e")
        logger.logLevel = .warning
        return logger
    }()

    @Test func httpUDPAndTCPThroughTheRelayedTunnel() async throws {
        let demo = try await Demo.start(logger: Self.logger, direct: false)
        do {
            let report = try await demo.exercise(tcpBytes: 1 << 20, udpEchoes: 20)
            #expect(report.httpStatus == "HTTP/1.1 200 OK")
            #expect(report.udpRoundTrips.count == 20)

            // Every role reports what happened: the relay forwarded both ways, the connector served both
            // services for the agent, the agent has its two tunnels through relay 0.
            let relayStatus = await demo.relay.status()
            #expect(Set(relayStatus.connections.map(\.name)) == ["demo-connector", "demo-agent"])
            let metrics = String(decoding: await demo.registry.render(), as: UTF8.self)
            #expect((metrics.metricValue(#"ztna_relayed_datagrams_total{direction="to_connector"}"#) ?? 0) > 100)
            #expect((metrics.metricValue(#"ztna_relayed_datagrams_total{direction="to_agent"}"#) ?? 0) > 100)
            // Connector and agent publish their tunnel counters into the same (demo) registry: both sides
            // counted the 1 MiB echoed up and down.
            #expect((metrics.metricValue(#"ztna_tunnel_bytes_total{direction="up",service="echo"}"#) ?? 0) >= Double(2 << 20))
            #expect(metrics.metricValue(#"ztna_tunnel_tcp_streams_total{service="echo",status="connected"}"#) == 2)
            let connectorStatus = await demo.connector.status()
            #expect(connectorStatus.relays.map(\.connected) == [true])
            let echo = try #require(connectorStatus.services.first { $0.id == "echo" })
            #expect(echo.bytesUp >= 1 << 20 && echo.bytesDown >= 1 << 20)
            #expect(echo.tcpStreams["connected"] == 1)
            let agentStatus = await demo.agent.status()
            #expect(Set(agentStatus.tunnels.map(\.service)) == ["web", "echo"])
            #expect(agentStatus.tunnels.allSatisfy { tunnel in
                tunnel.path.path == "relayed" && tunnel.path.reason == "disabled-locally" && tunnel.connector == "demo-connector"
            })
            // While relayed, `remote` is the relay (the issue's contract: the peer's direct address, or the relay's).
            let relayHostPort = "127.0.0.1:\(demo.relayAddress.port ?? 0)"
            #expect(agentStatus.tunnels.allSatisfy { $0.path.remote == relayHostPort })
            #expect(connectorStatus.tunnels.allSatisfy { $0.path.remote == relayHostPort })
            #expect(connectorStatus.tunnels.allSatisfy { $0.path.reason == "disabled-locally" })
            #expect(await demo.agent.readiness() == .ready)
            #expect(await demo.connector.readiness() == .ready)
        } catch {
            await demo.stop()
            throw error
        }
        await demo.stop()
    }

    /// DESIGN.md §6, §9: on loopback both tunnels go direct; the status contract and the metrics say so.
    @Test func tunnelsGoDirectAndSaySo() async throws {
        let demo = try await Demo.start(logger: Self.logger)
        do {
            let report = try await demo.exercise(tcpBytes: 256 << 10, udpEchoes: 10)
            #expect(report.udpRoundTrips.count == 10)
            let agentTunnels = await demo.agent.status().tunnels
            #expect(agentTunnels.count == 2)
            let connectorAddress = try #require(demo.connector.localAddress)
            for tunnel in agentTunnels {
                #expect(tunnel.path.path == "direct")
                #expect(tunnel.path.reason == nil)
                #expect(tunnel.path.remote == connectorAddress.hostPortText)
                #expect(tunnel.path.pathChanges == 1)
                #expect(tunnel.path.since >= tunnel.openedAt)
                #expect((tunnel.path.rttMillis.direct ?? 0) > 0)
                #expect((tunnel.path.rttMillis.relayed ?? 0) > 0)
                #expect(tunnel.path.bytes.relayed > 0)
            }
            // The echo traffic went over the direct path.
            let echo = try #require(agentTunnels.first { $0.service == "echo" })
            #expect(echo.path.bytes.direct > 2 * (256 << 10))
            let connectorTunnels = await demo.connector.status().tunnels
            #expect(connectorTunnels.count == 2 && connectorTunnels.allSatisfy { $0.path.path == "direct" })
            // The status JSON carries the contract's keys at the tunnel level.
            let json = try #require(String(data: try JSONEncoder().encode(agentTunnels[0]), encoding: .utf8))
            for key in ["\"path\":\"direct\"", "\"remote\"", "\"since\"", "\"rttMillis\"", "\"bytes\"", "\"pathChanges\":1"] {
                #expect(json.contains(key), "\(json)")
            }
            let metrics = String(decoding: await demo.registry.render(), as: UTF8.self)
            // Agent and connector publish into the demo's one registry: two tunnels each.
            #expect(metrics.metricValue(#"ztna_tunnels{path="direct"}"#) == 4)
            #expect(metrics.metricValue(#"ztna_tunnels{path="relayed"}"#) == 0)
            #expect(metrics.metricValue(#"ztna_tunnel_path_changes_total{direction="to_direct"}"#) == 4)
            // Attempts end a second after their first success (probing better pairs); the series exist from the start.
            #expect(metrics.metricValue(#"ztna_traversal_attempts_total{outcome="succeeded"}"#) != nil)
            #expect(metrics.metricValue(#"ztna_traversal_attempts_total{outcome="failed"}"#) == 0)
        } catch {
            await demo.stop()
            throw error
        }
        await demo.stop()
    }

    /// DESIGN.md §4: the connector enforces the agent's grant itself, whatever the relay did. A tunnel
    /// handshake straight to the connector's socket (no relay involved) with a certificate that grants `web`
    /// only: SNI `echo.ztna` is closed with code 1, SNI `web.ztna` is served.
    @Test func theConnectorChecksTheAgentsGrantItself() async throws {
        let demo = try await Demo.start(logger: Self.logger)
        do {
            let webOnly = try demo.deployment.issue(.agent, name: "mallory", services: .services([ServiceID("web")!]))
            let connectorAddress = try #require(demo.connector.localAddress)
            var tls = TLSConfiguration(role: .client, alpn: [ZTNAALPN.tunnel])
            tls.certificateChainFile = webOnly.certificate
            tls.privateKeyFile = webOnly.privateKey
            tls.trustRootsFile = demo.deployment.caCertificate
            tls.verifyHostname = false
            let configuration = QUICConfiguration(tls: try TLSContext(configuration: tls))
            let endpoint = try await QUICNIOEndpoint.bind(host: "127.0.0.1", port: 0)

            let refused = try await endpoint.connect(to: connectorAddress, serverName: "echo.ztna", configuration: configuration)
            let reason = await refused.closed
            guard case .peer(let error) = reason else {
                Issue.record("not closed by the connector: \(reason)")
                await endpoint.close()
                await demo.stop()
                return
            }
            #expect(error.isApplicationError && error.code == 0x01)
            #expect(await demo.connector.status().tunnelsRefused == 1)

            let served = try await endpoint.connect(to: connectorAddress, serverName: "web.ztna", configuration: configuration)
            let stream = try await served.openStream()
            try await stream.write(TCPConnectRequest(port: 80).bytes)
            #expect(try await stream.read(maxBytes: 1) == TCPConnectStatus.connected.bytes)
            await served.close()
            await endpoint.close()
        } catch {
            await demo.stop()
            throw error
        }
        await demo.stop()
    }
}

/// Restarts mid-session (issue 5): the relay goes away and comes back on the same address; the agent and the
/// connector reconnect on their own, re-register, and traffic flows again — the agent is not restarted.
@Suite("End to end: relay restart", .timeLimit(.minutes(3)))
struct RelayRestartEndToEndTests {
    @Test func trafficResumesAfterTheRelayRestarts() async throws {
        // The relay comes back on the same port: one outside the kernel's ephemeral range (32768–60999), so no
        // socket of a concurrently running test can take it in between.
        let port = UInt16.random(in: 20_000..<30_000)
        let demo = try await Demo.start(logger: LoopbackEndToEndTests.logger, firstRelayPort: port)
        var restarted: RelayServer?
        do {
            _ = try await demo.exercise(tcpBytes: 64 << 10, udpEchoes: 5)
            await demo.relay.shutdown()
            var settings = demo.relay.settings
            settings.listen = HostPort(host: "127.0.0.1", port: port)
            let relay = try RelayServer(settings: settings, registry: MetricsRegistry(), logger: LoopbackEndToEndTests.logger)
            restarted = relay
            try await relay.start()
            // Both sides come back (backoff 1 s, then 2 s …) and register again.
            try await withTimeLimit(.seconds(30), "re-registration with the restarted relay") {
                while await relay.status().connections.count < 2 { try await Task.sleep(for: .milliseconds(50)) }
            }
            // TCP (streams, retransmitted) resumes through the restarted relay.
            let page = try await withTimeLimit(.seconds(20), "HTTP GET after the restart") {
                try await LoopbackClients.tcpExchange(demo.webForward, send: Array("GET / HTTP/1.0\r\n\r\n".utf8))
            }
            #expect(String(decoding: page, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            let data = (0..<(256 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let echoed = try await withTimeLimit(.seconds(30), "TCP echo after the restart") {
                try await LoopbackClients.tcpExchange(demo.tcpForward, send: data)
            }
            #expect(echoed == data)
            // Then UDP. (Known gap, in the issue note: UDP sent before any stream traffic after the restart is
            // lost until the connector's tunnel connection has validated the agent's new relayed path; stream
            // traffic, which is retransmitted, gets it validated.)
            let roundTrips = try await withTimeLimit(.seconds(20), "UDP echo after the restart") {
                try await LoopbackClients.udpEchoRoundTrips(demo.udpForward, payloads: [[1, 2, 3], [4, 5, 6]])
            }
            #expect(roundTrips.count == 2)
            let agentLinks = await demo.agent.status().relays
            // Reconnected by itself (more than once when an attempt reached the old relay while it drained).
            #expect((agentLinks.first?.connects ?? 0) >= 2)
            #expect(agentLinks.first?.connected == true)
        } catch {
            let connector = await demo.connector.status().services.map { "\($0.id): up \($0.bytesUp) down \($0.bytesDown) flows \($0.udpFlowsCreated) drops \($0.drops)" }
            let agent = await demo.agent.status().services.map { "\($0.id): up \($0.bytesUp) down \($0.bytesDown) flows \($0.udpFlowsCreated) drops \($0.drops)" }
            Issue.record("connector \(connector); agent \(agent)")
            await restarted?.shutdown()
            await demo.stop()
            throw error
        }
        await restarted?.shutdown()
        await demo.stop()
    }
}

/// Relay failover (DESIGN.md §8): the connector registers with both relays, the agent uses the first; when it
/// goes away for good, the agent moves to the second and traffic flows again without restarting anything.
@Suite("End to end: agent fails over to the next relay", .timeLimit(.minutes(3)))
struct RelayFailoverEndToEndTests {
    /// The relayed path's failover (direct paths off: the relays carry everything).
    @Test func trafficMovesToTheSecondRelay() async throws {
        let demo = try await Demo.start(logger: LoopbackEndToEndTests.logger, relayCount: 2, direct: false)
        do {
            _ = try await demo.exercise(tcpBytes: 64 << 10, udpEchoes: 3)
            #expect(await demo.relays[1].status().connections.map(\.name) == ["demo-connector"])

            await demo.relays[0].shutdown()
            try await withTimeLimit(.seconds(90), "the agent registering with the second relay") {
                while !(await demo.relays[1].status().connections.contains { $0.name == "demo-agent" }) {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let page = try await withTimeLimit(.seconds(30), "HTTP GET through the second relay") {
                try await LoopbackClients.tcpExchange(demo.webForward, send: Array("GET / HTTP/1.0\r\n\r\n".utf8))
            }
            #expect(String(decoding: page, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            let data = (0..<(128 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            let echoed = try await withTimeLimit(.seconds(30), "TCP echo through the second relay") {
                try await LoopbackClients.tcpExchange(demo.tcpForward, send: data)
            }
            #expect(echoed == data)
            let tunnels = await demo.agent.status().tunnels
            #expect(!tunnels.isEmpty && tunnels.allSatisfy { $0.relay == 1 })
        } catch {
            await demo.stop()
            throw error
        }
        await demo.stop()
    }
}

/// A direct tunnel does not need its relay: when the relay dies, traffic keeps flowing at once, and the tunnel's
/// fallback moves to the second relay once the agent is registered there (DESIGN.md §6, §8).
@Suite("End to end: a direct tunnel outlives its relay", .timeLimit(.minutes(3)))
struct DirectTunnelRelayLossEndToEndTests {
    @Test func directTrafficContinuesWhileTheRelayFailsOver() async throws {
        let demo = try await Demo.start(logger: LoopbackEndToEndTests.logger, relayCount: 2)
        do {
            _ = try await demo.exercise(tcpBytes: 64 << 10, udpEchoes: 3)
            let before = await demo.agent.status().tunnels
            #expect(before.count == 2 && before.allSatisfy { $0.path.path == "direct" && $0.relay == 0 })

            await demo.relays[0].shutdown()
            // No wait for a relay: the direct path carries a fresh TCP connection and UDP right away.
            let data = (0..<(128 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            let echoed = try await withTimeLimit(.seconds(5), "TCP echo over the direct path without a relay") {
                try await LoopbackClients.tcpExchange(demo.tcpForward, send: data)
            }
            #expect(echoed == data)
            let roundTrips = try await withTimeLimit(.seconds(5), "UDP echo over the direct path without a relay") {
                try await LoopbackClients.udpEchoRoundTrips(demo.udpForward, payloads: [[1, 2, 3], [4, 5, 6]])
            }
            #expect(roundTrips.count == 2)
            // The same tunnels, still direct; their fallback moves to relay 1 once the agent registered there.
            try await withTimeLimit(.seconds(60), "the tunnels' fallback moving to the second relay") {
                while !(await demo.agent.status().tunnels.allSatisfy { $0.relay == 1 }) {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let after = await demo.agent.status().tunnels
            #expect(after.map(\.openedAt) == before.map(\.openedAt))
            #expect(after.allSatisfy { $0.path.path == "direct" && $0.path.pathChanges == 1 })
        } catch {
            // What the agent saw: its tunnels' paths and the drops and stream outcomes of each service.
            let status = await demo.agent.status()
            Issue.record("tunnels \(status.tunnels.map { "\($0.service) \($0.path.path) \($0.path.reason ?? "-") relay \($0.relay)" }); services \(status.services.map { "\($0.id) drops \($0.drops) streams \($0.tcpStreams)" })")
            await demo.stop()
            throw error
        }
        await demo.stop()
    }
}

/// Connector restart mid-session (issue 5): the connector goes away and a new process takes its place. The relay
/// tells the agent the service is unavailable, the agent closes the tunnel that led to the old connector, and
/// opens a new one as soon as the new connector registers — traffic resumes without restarting the agent.
@Suite("End to end: connector restart", .timeLimit(.minutes(3)))
struct ConnectorRestartEndToEndTests {
    @Test func trafficResumesAfterTheConnectorRestarts() async throws {
        let demo = try await Demo.start(logger: LoopbackEndToEndTests.logger)
        var restarted: ConnectorServer?
        do {
            _ = try await demo.exercise(tcpBytes: 64 << 10, udpEchoes: 3)
            let before = await demo.agent.status().tunnels.map(\.openedAt)
            await demo.connector.shutdown()
            let connector = try ConnectorServer(settings: demo.connector.settings, registry: MetricsRegistry(),
                                                logger: LoopbackEndToEndTests.logger)
            restarted = connector
            _ = try await connector.start()
            // Well inside the tunnels' 30 s idle timeout: the agent must not wait for it.
            let page = try await withTimeLimit(.seconds(20), "HTTP GET after the connector restart") {
                try await LoopbackClients.tcpExchange(demo.webForward, send: Array("GET / HTTP/1.0\r\n\r\n".utf8))
            }
            #expect(String(decoding: page, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            let data = (0..<(128 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 11) }
            let echoed = try await withTimeLimit(.seconds(20), "TCP echo after the connector restart") {
                try await LoopbackClients.tcpExchange(demo.tcpForward, send: data)
            }
            #expect(echoed == data)
            let roundTrips = try await withTimeLimit(.seconds(20), "UDP echo after the connector restart") {
                try await LoopbackClients.udpEchoRoundTrips(demo.udpForward, payloads: [[7, 8, 9]])
            }
            #expect(roundTrips.count == 1)
            // New tunnels, to the new connector.
            let after = await demo.agent.status().tunnels
            #expect(!after.isEmpty && after.allSatisfy { tunnel in !before.contains(tunnel.openedAt) })
            #expect(await connector.status().tunnels.count == after.count)
        } catch {
            await restarted?.shutdown()
            await demo.stop()
            throw error
        }
        await restarted?.shutdown()
        await demo.stop()
    }
}
