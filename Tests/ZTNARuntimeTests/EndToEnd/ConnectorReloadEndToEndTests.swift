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

/// SIGHUP on the connector (DESIGN.md §7, issue 5): with two agents holding tunnels, the first agent's serial
/// goes into the connector's revocation list and the connector reloads. That agent's tunnels are closed with
/// the refusal code and new ones refused; the other agent's tunnel stays up and keeps carrying traffic; the
/// relay connection is not dropped. A reload with a broken list changes nothing.
@Suite("End to end: connector reload with a revocation list", .timeLimit(.minutes(3)))
struct ConnectorReloadEndToEndTests {
    static var logger: Logger { LoopbackEndToEndTests.logger }

    @Test func aRevokedAgentIsDisconnectedAndTheOtherAgentKeepsItsTunnel() async throws {
        let directory = NSTemporaryDirectory() + "ztna-revocations-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let revoked = directory + "/revoked.txt"
        try "# nothing revoked yet\n".write(toFile: revoked, atomically: true, encoding: .utf8)

        let demo = try await Demo.start(logger: Self.logger, revocationList: revoked)
        var second: AgentServer?
        var restarted: ConnectorServer?
        do {
            _ = try await demo.exercise(tcpBytes: 16 << 10, udpEchoes: 2)   // the demo agent's two tunnels are up
            let echoID = try #require(ServiceID("echo"))
            let bob = try demo.deployment.issue(.agent, name: "second-agent", services: .services([echoID]))
            let agent = try await Self.startAgent(bob, deployment: demo.deployment, relay: demo.relayAddress,
                                                  service: echoID)
            second = agent
            let bobForward = try #require(agent.forwardAddresses.first)
            try await Self.expectEcho(through: bobForward, "the second agent before the reload")
            let bobTunnels = await agent.status().tunnels.map(\.openedAt)
            #expect(bobTunnels.count == 1)
            let connectorAddress = try #require(demo.connector.localAddress)
            let alice = (certificate: demo.agent.settings.certificate, privateKey: demo.agent.settings.privateKey)

            // Revoke the demo agent, reload: both of its tunnels (web, echo) are closed and counted as refused.
            let aliceSerial = try PeerIdentity.load(path: alice.certificate).serial
            try "\(aliceSerial) # demo-agent\n".write(toFile: revoked, atomically: true, encoding: .utf8)
            let refusedBefore = await demo.connector.status().tunnelsRefused
            #expect(try await demo.connector.reload() == 2)
            let status = await demo.connector.status()
            #expect(status.tunnels.map(\.agent) == ["second-agent"])
            #expect(status.tunnelsRefused >= refusedBefore + 2)
            // The relay connection was not dropped.
            #expect(status.relays.map(\.connected) == [true] && status.relays.map(\.connects) == [1])

            // The demo agent's traffic stops: whatever tunnel it opens again is refused by the connector.
            let page = try? await withTimeLimit(.seconds(20), "HTTP GET through the revoked agent") {
                try await LoopbackClients.tcpExchange(demo.webForward, send: Array("GET / HTTP/1.0\r\n\r\n".utf8))
            }
            #expect(!String(decoding: page ?? [], as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            // A new tunnel handshake with its certificate, straight to the connector, is closed with code 1.
            #expect(try await Self.tunnelCloseCode(connectorAddress, alice, ca: demo.deployment.caCertificate) == 0x01)

            // The second agent's tunnel is the same one, and carries traffic.
            try await Self.expectEcho(through: bobForward, "the second agent after the reload")
            #expect(await agent.status().tunnels.map(\.openedAt) == bobTunnels)

            // A broken list (its first line would revoke the second agent): the reload throws, nothing changes —
            // the second agent keeps its tunnel, the demo agent stays revoked.
            let bobSerial = try PeerIdentity.load(path: bob.certificate).serial
            try "\(bobSerial)\nnot-a-serial\n".write(toFile: revoked, atomically: true, encoding: .utf8)
            await #expect(throws: StartupError.self) { try await demo.connector.reload() }
            #expect(await demo.connector.status().tunnels.map(\.agent) == ["second-agent"])
            try await Self.expectEcho(through: bobForward, "the second agent after the failed reload")
            #expect(await agent.status().tunnels.map(\.openedAt) == bobTunnels)
            #expect(try await Self.tunnelCloseCode(connectorAddress, alice, ca: demo.deployment.caCertificate) == 0x01)

            // A connector that starts with the list refuses the revoked agent from its first tunnel on.
            try "\(aliceSerial)\n".write(toFile: revoked, atomically: true, encoding: .utf8)
            var settings = demo.connector.settings
            settings.relays = []
            let fresh = try ConnectorServer(settings: settings, registry: MetricsRegistry(), logger: Self.logger)
            restarted = fresh
            let freshAddress = try await fresh.start()
            #expect(try await Self.tunnelCloseCode(freshAddress, alice, ca: demo.deployment.caCertificate) == 0x01)
            #expect(try await Self.tunnelCloseCode(freshAddress, bob, ca: demo.deployment.caCertificate) == nil)
            #expect(await fresh.status().tunnelsRefused == 1)
        } catch {
            await restarted?.shutdown()
            await second?.shutdown()
            await demo.stop()
            throw error
        }
        await restarted?.shutdown()
        await second?.shutdown()
        await demo.stop()
    }

    // MARK: - Helpers

    /// A second agent in port-forward mode with its own certificate: one TCP forward to `service` port 7.
    static func startAgent(_ identity: (certificate: String, privateKey: String), deployment: ThrowawayDeployment,
                           relay: SocketAddress, service: ServiceID) async throws -> AgentServer {
        let forward = ForwardConfig(listen: HostPort(host: "127.0.0.1", port: 0), service: service, port: 7,
                                    protocol: .tcp)
        var settings = AgentSettings(
            relays: [HostPort(host: "127.0.0.1", port: UInt16(relay.port ?? 0))], certificate: identity.certificate,
            privateKey: identity.privateKey, trustRoots: deployment.caCertificate, admin: nil,
            services: AgentService.completing([], forwards: [forward]), forwards: [forward])
        settings.bindHost = "127.0.0.1"
        let agent = try AgentServer(settings: settings, registry: MetricsRegistry(), logger: logger)
        _ = try await agent.start()
        do {
            try await withTimeLimit(.seconds(20), "the second agent's readiness") {
                while await agent.readiness() != .ready { try await Task.sleep(for: .milliseconds(20)) }
            }
        } catch {
            await agent.shutdown()
            throw error
        }
        return agent
    }

    /// 32 KiB echoed through a TCP forward to the echo service.
    static func expectEcho(through forward: SocketAddress, _ what: String) async throws {
        let data = (0..<(32 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 17) }
        let echoed = try await withTimeLimit(.seconds(20), "TCP echo through \(what)") {
            try await LoopbackClients.tcpExchange(forward, send: data)
        }
        #expect(echoed == data, "TCP echo through \(what)")
    }

    /// A tunnel handshake for `echo` with `identity`, straight to a connector's socket: the application close
    /// code when the connector closes it, nil when it serves a TCP stream to the echo backend.
    static func tunnelCloseCode(_ connector: SocketAddress, _ identity: (certificate: String, privateKey: String),
                                ca: String) async throws -> UInt64? {
        var tls = TLSConfiguration(role: .client, alpn: [ZTNAALPN.tunnel])
        tls.certificateChainFile = identity.certificate
        tls.privateKeyFile = identity.privateKey
        tls.trustRootsFile = ca
        tls.verifyHostname = false
        let configuration = QUICConfiguration(tls: try TLSContext(configuration: tls))
        let endpoint = try await QUICNIOEndpoint.bind(host: "127.0.0.1", port: 0)
        do {
            let connection = try await endpoint.connect(to: connector, serverName: "echo.ztna",
                                                        configuration: configuration)
            let code: UInt64?
            if let stream = try? await connection.openStream(),
               (try? await stream.write(TCPConnectRequest(port: 7).bytes)) != nil,
               let status = try? await stream.read(maxBytes: 1), status == TCPConnectStatus.connected.bytes {
                code = nil
            } else if case .peer(let error) = await connection.closed, error.isApplicationError {
                code = error.code
            } else {
                throw DemoFailure("the tunnel was neither served nor closed by the connector")
            }
            await connection.close()
            await endpoint.close()
            return code
        } catch {
            await endpoint.close()
            throw error
        }
    }
}
