import Foundation
import NIOCore
import QUICNIO
import Testing
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// The relay keeps serving under bad input (issue 4): thousands of random and mutated UDP datagrams at its
/// socket and malformed relay messages from an authenticated client; afterwards registration and forwarding
/// still work and its state stayed bounded.
@Suite("RelayServer under bad input", .timeLimit(.minutes(2)))
struct RelayServerBadInputTests {
    @Test func randomAndMutatedDatagramsAndMalformedMessagesLeaveTheRelayServing() async throws {
        try await RelayHarness.with { relay in
            var random = SystemRandomNumberGenerator()
            let initial = try await Self.captureClientInitial(relay)
            #expect(initial.count >= 1200 && initial[0] & 0x80 != 0)

            // 1. Garbage at the UDP socket: random bytes of every size, mutated copies of a real client Initial,
            //    truncated copies, and a few hundred exact replays (each a valid ClientHello from one address).
            var datagrams: [[UInt8]] = []
            for _ in 0..<2_000 {
                datagrams.append((0..<Int.random(in: 1...1_500, using: &random)).map { _ in .random(in: 0...255, using: &random) })
            }
            for _ in 0..<2_000 {
                var mutated = initial
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    mutated[Int.random(in: 0..<mutated.count, using: &random)] ^= .random(in: 1...255, using: &random)
                }
                datagrams.append(mutated)
            }
            for _ in 0..<500 { datagrams.append(Array(initial.prefix(Int.random(in: 1..<initial.count, using: &random)))) }
            for _ in 0..<300 { datagrams.append(initial) }
            datagrams.shuffle(using: &random)
            let socket = try await UDPSocket.bind()
            try await socket.send(datagrams, to: relay.address)

            // 2. Malformed relay messages from an authenticated client: every type byte, random lengths, mutated
            //    valid messages, oversize payloads.
            let mallory = try await relay.client(.agent, "mallory", grants: ["*"])
            let valid: [[UInt8]] = [
                RelayMessage.registerAgent(try ServiceID.require("web")).bytes,
                RelayMessage.serviceDatagram(try ServiceID.require("web"), payload: [1, 2, 3][...]).bytes,
                RelayMessage.peerDatagram(peer: PeerID(rawValue: 1), try ServiceID.require("web"), payload: [4][...]).bytes,
                RelayMessage.deregister(try ServiceID.require("web")).bytes,
            ]
            for index in 0..<3_000 {
                var message: [UInt8]
                if index % 3 == 0 {
                    message = [UInt8(truncatingIfNeeded: index)]
                        + (0..<Int.random(in: 0...300, using: &random)).map { _ in .random(in: 0...255, using: &random) }
                } else {
                    message = valid[index % valid.count]
                    message[Int.random(in: 0..<message.count, using: &random)] ^= .random(in: 1...255, using: &random)
                    if index % 7 == 0 { message = Array(message.prefix(Int.random(in: 0...message.count, using: &random))) }
                }
                if message.isEmpty { message = [0x00] }
                try await mallory.send(raw: message)
            }
            try await mallory.send(raw: [0x2F, 3] + Array("web".utf8) + [UInt8](repeating: 0xAA, count: 1_100))

            // 3. Still serving: a fresh pair registers and traffic flows both ways.
            let web = try ServiceID.require("web")
            let connector = try await relay.registeredConnector("conn-a", service: "web")
            let agent = try await relay.registeredAgent("alice", service: "web")
            _ = try await agent.receiveSkippingAddress()
            try await agent.send(.serviceDatagram(web, payload: [42][...]))
            var forwarded = try await connector.receiveSkippingAddress()
            // Mallory may be registered for web by a surviving mutation and sending to it; skip those.
            while case .peerDatagram(_, _, let payload) = forwarded, Array(payload) != [42] {
                forwarded = try await connector.receiveSkippingAddress()
            }
            guard case .peerDatagram(let peer, _, _) = forwarded else {
                Issue.record("no forwarding after the garbage: \(forwarded)")
                return
            }
            try await connector.send(.peerDatagram(peer: peer, web, payload: [43][...]))
            #expect(try await agent.receiveSkippingAddress() == .serviceDatagram(web, payload: [43][...]))

            // 4. Bounded: only the three real clients are connections; handshakes from the replays are capped per
            //    source address; every drop was counted by reason.
            let status = await relay.relay.status()
            #expect(Set(status.connections.map(\.name)) == ["mallory", "conn-a", "alice"])
            #expect(status.handshakesInProgress <= relay.relay.settings.maxHandshakesPerAddress)
            #expect(status.verifying == 0)
            let metrics = await relay.metrics()
            #expect((metrics.metricValue(#"ztna_drops_total{reason="unknown_type"}"#) ?? 0) > 100)
            #expect((metrics.metricValue(#"ztna_drops_total{reason="quic_unparseable"}"#) ?? 0)
                + (metrics.metricValue(#"ztna_drops_total{reason="quic_unknown_connection"}"#) ?? 0) > 0)
            for client in [mallory, agent, connector] { await client.close() }
            await socket.close()
        }
    }

    /// The first datagram a real client sends to the relay (its Initial with a ClientHello).
    private static func captureClientInitial(_ relay: RelayHarness) async throws -> [UInt8] {
        let trap = try await UDPSocket.bind()
        let address = try #require(trap.localAddress)
        let credentials = try relay.issue(.agent, "capture", grants: ["web"])
        let ca = relay.deployment.caCertificate
        let connecting = Task {
            _ = try? await RelayTestClient.connect(to: address, credentials: credentials, ca: ca)
        }
        var iterator = trap.received.makeAsyncIterator()
        let first = await iterator.next()
        connecting.cancel()
        await connecting.value
        await trap.close()
        return try #require(first)
    }
}
