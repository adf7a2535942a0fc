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
        let demo = try await Demo.start(logger: Self.logger)
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
            let connectorStatus = await demo.connector.status()
            #expect(connectorStatus.relays.map(\.connected) == [true])
            let echo = try #require(connectorStatus.services.first { $0.id == "echo" })
            #expect(echo.bytesUp >= 1 << 20 && echo.bytesDown >= 1 << 20)
            #expect(echo.tcpStreams["connected"] == 1)
            let agentStatus = await demo.agent.status()
            #expect(Set(agentStatus.tunnels.map(\.service)) == ["web", "echo"])
            #expect(agentStatus.tunnels.allSatisfy { $0.path == "relayed" && $0.connector == "demo-connector" })
            #expect(await demo.agent.readiness() == .ready)
            #expect(await demo.connector.readiness() == .ready)
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
