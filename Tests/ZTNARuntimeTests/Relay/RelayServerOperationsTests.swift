import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import QUICNIO
import ServiceLifecycle
import Testing
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// The relay as an operator sees it: the admin endpoints, OBSERVED_ADDRESS after NAT rebinding, and a
/// relay that keeps serving under garbage (issue 4, "Tests").
@Suite("RelayServer operations", .timeLimit(.minutes(2)))
struct RelayServerOperationsTests {
    @Test func adminEndpointsReportWhatTheRelayIsDoing() async throws {
        try await RelayHarness.with { relay in
            let connector = try await relay.registeredConnector("conn-a", service: "web")
            let agent = try await relay.registeredAgent("alice", service: "web")
            let web = try ServiceID.require("web")
            _ = try await agent.receiveSkippingAddress()
            try await agent.send(.serviceDatagram(web, payload: [1, 2, 3][...]))
            _ = try await connector.receiveSkippingAddress()

            let server = relay.relay
            let admin = try AdminServer(
                configuration: .init(role: "relay", host: "127.0.0.1", port: 0), registry: relay.registry,
                logger: RelayHarness.logger, readiness: { server.readiness() }, status: { await server.status() })
            let group = ServiceGroup(configuration: .init(services: [admin], logger: RelayHarness.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let port = try #require(try await admin.waitUntilListening().port)

                #expect(try await AdminServerHarness.request(port, "/readyz").text == "ready\n")
                let status = try await AdminServerHarness.request(port, "/api/v1/status").text
                let json = try #require(try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
                #expect(json["role"] as? String == "relay")
                let connections = try #require(json["connections"] as? [[String: Any]])
                #expect(Set(connections.compactMap { $0["name"] as? String }) == ["conn-a", "alice"])
                let alice = try #require(connections.first { $0["name"] as? String == "alice" })
                #expect(alice["roles"] as? [String] == ["agent"])
                #expect(alice["agentServices"] as? [String] == ["web"])
                #expect(alice["address"] as? String == "\(agent.endpoint.localAddress.hostPortText)")
                #expect((alice["rttMilliseconds"] as? Double).map { $0 > 0 } == true)
                #expect((alice["bytesReceived"] as? Int).map { $0 > 0 } == true)
                let services = try #require(json["services"] as? [[String: Any]])
                #expect(services.first?["id"] as? String == "web")

                let metrics = try await AdminServerHarness.request(port, "/metrics").text
                #expect(metrics.metricValue(#"ztna_relayed_datagrams_total{direction="to_connector"}"#) == 1)
                #expect(metrics.metricValue(#"ztna_relayed_bytes_total{direction="to_connector"}"#) == 3)
                #expect(metrics.metricValue(#"ztna_connections{role="agent"}"#) == 1)
                #expect(try await AdminServerHarness.request(port, "/").text.contains("relay"))

                await server.shutdown()
                #expect(try await AdminServerHarness.request(port, "/readyz").status == .serviceUnavailable)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            await agent.close()
            await connector.close()
        }
    }

    @Test func natRebindingIsAnsweredWithANewObservedAddress() async throws {
        try await RelayHarness.with { relay in
            let proxy = try await UDPRebindingProxy.start(to: relay.address)
            let credentials = try relay.issue(.agent, "roamer", grants: ["web"])
            let agent = try await RelayTestClient.connect(to: proxy.frontAddress, credentials: credentials,
                                                         ca: relay.deployment.caCertificate)
            let before = try #require(proxy.outsideAddress)
            #expect(try await agent.receive() == .observedAddress(try #require(ObservedAddress(before))))

            try await proxy.rebind()
            let after = try #require(proxy.outsideAddress)
            #expect(after != before)
            // Any packet from the new port shows the relay the new address (RFC 9000 §9.3). The new
            // OBSERVED_ADDRESS and the REGISTER_ACK may arrive in either order (the address change can be seen
            // before the REGISTER inside the same packet is handled), and the ACK comes with the address the
            // relay knew when it answered — the old one, if the change was seen after.
            let web = try ServiceID.require("web")
            try await agent.send(.registerAgent(web))
            let expected = try #require(ObservedAddress(after))
            var sawAck = false
            var seen: [ObservedAddress] = []
            // At most: the old address with the ACK, the new one, SERVICE_STATUS, and a spare.
            for _ in 0..<6 where !sawAck || seen.last != expected {
                switch try await agent.receive() {
                case .registerAck(let id): sawAck = id == web
                case .observedAddress(let address): seen.append(address)
                default: continue   // SERVICE_STATUS
                }
            }
            #expect(sawAck)
            #expect(seen.last == expected)
            #expect(seen.allSatisfy { $0 == expected || $0 == ObservedAddress(before) })
            await agent.close()
            await proxy.close()
        }
    }
}
