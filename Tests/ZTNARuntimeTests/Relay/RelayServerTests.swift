import Foundation
import NIOCore
import QUICCore
import QUICNIO
import Testing
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// The relay daemon on loopback with clients of our own QUIC engine (issue 4, "Tests"): registration,
/// forwarding both ways, SERVICE_STATUS, connector sharing and takeover, authorization.
@Suite("RelayServer (loopback integration)", .timeLimit(.minutes(1)))
struct RelayServerTests {
    @Test func observedAddressComesFirstAndMatchesTheClientsSocket() async throws {
        try await RelayHarness.with { relay in
            let client = try await relay.client(.agent, "alice", grants: ["web"])
            let first = try await client.receive()
            #expect(first == .observedAddress(try #require(ObservedAddress(client.endpoint.localAddress))))
            await client.close()
        }
    }

    @Test func trafficFlowsAgentToConnectorAndBack() async throws {
        try await RelayHarness.with { relay in
            let connector = try await relay.registeredConnector("conn-a", service: "web")
            let agent = try await relay.registeredAgent("alice", service: "web")
            let web = try ServiceID.require("web")
            #expect(try await agent.receiveSkippingAddress() == .serviceStatus(available: true, web))

            try await agent.send(.serviceDatagram(web, payload: Array("ping".utf8)[...]))
            guard case .peerDatagram(let peer, let service, let payload) = try await connector.receiveSkippingAddress() else {
                Issue.record("connector did not receive PEER_DATAGRAM")
                return
            }
            #expect(service == web)
            #expect(Array(payload) == Array("ping".utf8))

            try await connector.send(.peerDatagram(peer: peer, web, payload: Array("pong".utf8)[...]))
            #expect(try await agent.receiveSkippingAddress() == .serviceDatagram(web, payload: Array("pong".utf8)[...]))

            let metrics = await relay.metrics()
            #expect(metrics.metricValue(#"ztna_relayed_datagrams_total{direction="to_connector"}"#) == 1)
            #expect(metrics.metricValue(#"ztna_relayed_datagrams_total{direction="to_agent"}"#) == 1)
            #expect(metrics.metricValue(#"ztna_registrations_total{role="agent"}"#) == 1)
            #expect(metrics.metricValue(#"ztna_connections{role="connector"}"#) == 1)
            await agent.close()
            await connector.close()
        }
    }

    @Test func serviceStatusFollowsConnectorLossAndReturn() async throws {
        try await RelayHarness.with { relay in
            let web = try ServiceID.require("web")
            let agent = try await relay.registeredAgent("alice", service: "web")
            #expect(try await agent.receiveSkippingAddress() == .serviceStatus(available: false, web))

            let first = try await relay.registeredConnector("conn-a", service: "web")
            #expect(try await agent.receiveSkippingAddress() == .serviceStatus(available: true, web))
            await first.close()
            #expect(try await agent.receiveSkippingAddress() == .serviceStatus(available: false, web))

            let second = try await relay.registeredConnector("conn-b", service: "web")
            #expect(try await agent.receiveSkippingAddress() == .serviceStatus(available: true, web))
            await second.close()
            await agent.close()
        }
    }

    @Test func twoConnectorsShareAgentsAndTakeOverWhenOneLeaves() async throws {
        try await RelayHarness.with { relay in
            let web = try ServiceID.require("web")
            let connectorA = try await relay.registeredConnector("conn-a", service: "web")
            let connectorB = try await relay.registeredConnector("conn-b", service: "web")
            let alice = try await relay.registeredAgent("alice", service: "web")
            let bob = try await relay.registeredAgent("bob", service: "web")
            _ = try await alice.receiveSkippingAddress()   // SERVICE_STATUS available
            _ = try await bob.receiveSkippingAddress()

            // New agents are spread: alice goes to the connector with the fewest agents (A, registered first on
            // a tie), bob to the other one.
            try await alice.send(.serviceDatagram(web, payload: [1][...]))
            try await Self.expectPeerDatagram([1], at: connectorA)
            try await bob.send(.serviceDatagram(web, payload: [2][...]))
            try await Self.expectPeerDatagram([2], at: connectorB)

            // A leaves: alice's next datagram reaches B, and bob stays on B.
            await connectorA.close()
            try await alice.send(.serviceDatagram(web, payload: [3][...]))
            try await Self.expectPeerDatagram([3], at: connectorB)
            try await bob.send(.serviceDatagram(web, payload: [4][...]))
            try await Self.expectPeerDatagram([4], at: connectorB)
            for client in [connectorB, alice, bob] { await client.close() }
        }
    }

    private static func expectPeerDatagram(_ payload: [UInt8], at connector: RelayTestClient,
                                           sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let message = try await connector.receiveSkippingAddress()
        guard case .peerDatagram(_, _, let received) = message else {
            Issue.record("expected PEER_DATAGRAM, got \(message)", sourceLocation: sourceLocation)
            return
        }
        #expect(Array(received) == payload, sourceLocation: sourceLocation)
    }

    @Test func registrationWithoutTheGrantIsRefusedWithNack02() async throws {
        try await RelayHarness.with { relay in
            let other = try await relay.client(.agent, "mallory", grants: ["other"])
            #expect(try await other.register("web", asConnector: false)
                == .registerNack(reason: .notAuthorized, id: Array("web".utf8)))
            // An agent certificate never grants the connector role, even for its own service.
            #expect(try await other.register("other", asConnector: true)
                == .registerNack(reason: .notAuthorized, id: Array("other".utf8)))
            #expect(try await other.register("other", asConnector: false) == .registerAck(try ServiceID.require("other")))
            let metrics = await relay.metrics()
            #expect(metrics.metricValue(#"ztna_registration_rejections_total{reason="not_authorized"}"#) == 2)
            await other.close()
        }
    }

    @Test func forgedPeerAndUnregisteredServiceAreDroppedNotForwarded() async throws {
        try await RelayHarness.with { relay in
            let web = try ServiceID.require("web")
            let connector = try await relay.registeredConnector("conn-a", service: "web")
            let agent = try await relay.registeredAgent("alice", service: "web")
            _ = try await agent.receiveSkippingAddress()
            // A forged peer id and a service the agent did not register: both dropped. The marker that follows
            // is the first thing each side receives, so nothing was forwarded.
            try await connector.send(.peerDatagram(peer: PeerID(rawValue: 0xDEAD_BEEF), web, payload: [9][...]))
            try await agent.send(.serviceDatagram(try ServiceID.require("db"), payload: [9][...]))
            try await agent.send(.serviceDatagram(web, payload: [7][...]))
            guard case .peerDatagram(let peer, _, let payload) = try await connector.receiveSkippingAddress() else {
                Issue.record("no PEER_DATAGRAM")
                return
            }
            #expect(Array(payload) == [7])
            try await connector.send(.peerDatagram(peer: peer, web, payload: [8][...]))
            #expect(try await agent.receiveSkippingAddress() == .serviceDatagram(web, payload: [8][...]))
            let metrics = await relay.metrics()
            #expect(metrics.metricValue(#"ztna_drops_total{reason="unknown_peer"}"#) == 1)
            #expect(metrics.metricValue(#"ztna_drops_total{reason="agent_not_registered"}"#) == 1)
            await agent.close()
            await connector.close()
        }
    }
}
