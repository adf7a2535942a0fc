import NATTraversal
import NIOCore
import QUICCore
import Testing
import TunnelTraversal
import ZTNASimulation

/// The two sessions on a real QUIC connection (QUICPair, virtual time): a tunnel that starts relayed goes
/// direct, falls back without losing a byte, comes back, and says why when it cannot (DESIGN.md §6).
@Suite("Traversal sessions on a QUIC connection")
struct TraversalSessionTests {
    @Test func goesDirectWithinASecondOfTheHandshake() throws {
        var tunnel = try TraversalPair(seed: 3)
        let established = tunnel.establish()
        #expect(established)
        let confirmed = tunnel.pair.now
        tunnel.setCandidates()
        let direct = tunnel.run(until: { $0.agent.isDirect && $0.pair.serverConnection?.activePath == $0.pair.clientAddress },
                                maxTime: .seconds(5))
        #expect(direct)
        // 20 ms one way: ADD_ADDRESS (20 ms), PUNCH_ME_NOW and the probe (20 ms), the answer (20 ms), the
        // migration's PING (20 ms) — well inside DESIGN.md §6's "about a second".
        #expect(tunnel.pair.now - confirmed < .seconds(1))
        let clientPath = tunnel.pair.clientConnection?.activePath
        #expect(clientPath == tunnel.pair.serverAddress)
        #expect(tunnel.agent.status.path == .direct(remote: tunnel.serverUDP, since: tunnel.agent.status.lastChange))
        #expect(tunnel.connector.status.path.isDirect)
        #expect(tunnel.agent.status.pathChanges == 1)
        #expect(tunnel.agent.counters.punchesRequested >= 1)
        #expect(tunnel.connector.counters.probesStarted >= 1)
    }

    @Test func staysRelayedWhenProbesGoUnanswered() throws {
        var tunnel = try TraversalPair(seed: 4, directRoutes: false)
        let established = tunnel.establish()
        #expect(established)
        tunnel.setCandidates()
        // The connector's probes started one way later than the agent's, so they fail a little later too.
        tunnel.run(until: { $0.agent.status.path == .relayed(.probesUnanswered)
                && $0.connector.status.path == .relayed(.probesUnanswered) }, maxTime: .seconds(15))
        #expect(tunnel.agent.status.path == .relayed(.probesUnanswered))
        #expect(tunnel.agent.status.nextAttempt != nil)
        let clientPath = tunnel.pair.clientConnection?.activePath
        #expect(clientPath == agentRelay)
        let serverUp = tunnel.pair.serverConnection?.isEstablished
        #expect(serverUp == true)
        #expect(tunnel.connector.status.path == .relayed(.probesUnanswered))
    }

    @Test func disabledOnTheAgentIsReportedOnBothSides() throws {
        var tunnel = try TraversalPair(seed: 5, agentDirect: false)
        let established = tunnel.establish()
        #expect(established)
        tunnel.setCandidates()
        tunnel.run(until: { _ in false }, maxTime: .seconds(2))
        #expect(tunnel.agent.status.path == .relayed(.disabledLocally))
        // On the wire a disabled agent and one without the extension look the same.
        #expect(tunnel.connector.status.path == .relayed(.peerLacksSupport))
        #expect(tunnel.connector.counters.advertised == 0)
    }

    @Test func connectorWithoutTheExtensionKeepsTheTunnelRelayed() throws {
        var tunnel = try TraversalPair(seed: 6, connectorDirect: false)
        let established = tunnel.establish()
        #expect(established)
        tunnel.setCandidates()
        tunnel.run(until: { _ in false }, maxTime: .seconds(2))
        #expect(tunnel.agent.status.path == .relayed(.peerLacksSupport))
        #expect(tunnel.connector.status.path == .relayed(.disabledLocally))
    }

    /// The connector's NAT maps per destination: the address the relay observed (advertised) is not where its
    /// probes come from. The agent learns that source from the connector's probe (peer-reflexive) and goes there.
    @Test func learnsAPeerReflexiveAddressFromTheConnectorsProbe() throws {
        var tunnel = try TraversalPair(seed: 7)
        let established = tunnel.establish()
        #expect(established)
        let observedByRelay = try SocketAddress(ipAddress: "203.0.113.9", port: 61000)   // not routed
        tunnel.setCandidates(connector: [Candidate(address: observedByRelay, kind: .serverReflexive)])
        let direct = tunnel.run(until: { $0.agent.isDirect }, maxTime: .seconds(5))
        #expect(direct)
        #expect(tunnel.agent.status.path.isDirect)
        let clientPath = tunnel.pair.clientConnection?.activePath
        #expect(clientPath == tunnel.pair.serverAddress)
        #expect(tunnel.agent.status.counters.peerReflexiveObserved == 1)
    }

    /// DESIGN.md §6 failover: the direct path dies during a transfer; the tunnel is back on the relay within
    /// 3 s, the transfer completes byte-exact on one connection; healed, it goes direct again at the retry.
    @Test func fallsBackWithoutLossAndRecovers() throws {
        var tunnel = try TraversalPair(seed: 8, latency: .milliseconds(5))
        let established = tunnel.establish()
        #expect(established)
        tunnel.setCandidates()
        let reached1 = tunnel.run(until: { $0.agent.isDirect }, maxTime: .seconds(5))
        #expect(reached1)
        let reached2 = tunnel.run(until: { $0.pair.serverConnection?.activePath == $0.pair.clientAddress }, maxTime: .seconds(1))
        #expect(reached2)

        let data = QUICPair.pattern(1_000_000, seed: 9)
        let stream = try #require(tunnel.pair.withClient { connection, _ in try? connection.openStream() } ?? nil)
        var writer = StreamWriter(data: data, stream: stream, side: .client)
        var received: [UInt8] = []
        var finished = false
        var cutAt: NIODeadline?
        var relayedAt: NIODeadline?
        let done = tunnel.run(until: { tunnel in
            writer.pump(&tunnel.pair)
            if let read = tunnel.pair.withServer({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
                received += read.bytes
                if read.fin { finished = true }
            }
            if cutAt == nil, received.count > 200_000 {
                tunnel.cutDirectPath()
                cutAt = tunnel.pair.now
            }
            if cutAt != nil, relayedAt == nil, !tunnel.agent.isDirect { relayedAt = tunnel.pair.now }
            return finished
        }, maxTime: .seconds(60))
        #expect(done)
        #expect(received == data)
        let cut = try #require(cutAt)
        let fellBack = try #require(relayedAt)
        #expect(fellBack - cut <= .seconds(3))
        #expect(tunnel.agent.status.path == .relayed(.directPathFailed))
        let clientPath = tunnel.pair.clientConnection?.activePath
        #expect(clientPath == agentRelay)
        let serverUp = tunnel.pair.serverConnection?.isEstablished
        #expect(serverUp == true)

        // Healed: the retry comes 30 s after the failure (DESIGN.md §6 recovery) and goes direct.
        tunnel.healDirectPath()
        let reached3 = tunnel.run(until: { $0.agent.isDirect }, maxTime: .seconds(40))
        #expect(reached3)
        #expect(tunnel.pair.now - fellBack >= .seconds(30))
        #expect(tunnel.agent.status.pathChanges == 3)
    }
}

/// Going direct is a path change under traffic: nothing in flight may be lost by it.
@Suite("Traversal sessions: the switch to direct under traffic")
struct TraversalSwitchTests {
    /// - Parameter relayDelay: how much longer the relayed path is than the direct one, one way.
    @Test(arguments: [0, 3, 10, 30])
    func datagramEchoesSurviveTheSwitchToDirect(relayDelay: Int) throws {
        var tunnel = try TraversalPair(seed: 11, latency: .milliseconds(2))
        tunnel.pair.extraLatency = [agentRelay: .milliseconds(Int64(relayDelay)), connectorRelay: .milliseconds(Int64(relayDelay))]
        let established = tunnel.establish()
        #expect(established)
        tunnel.setCandidates()
        var sent = 0
        var echoed = 0
        var nextSend = tunnel.pair.now
        var wentDirectAt: NIODeadline?
        tunnel.run(until: { tunnel in
            if tunnel.pair.now >= nextSend, sent < 100 {
                let payload = [UInt8(truncatingIfNeeded: sent)] + [UInt8](repeating: 0, count: 63)
                if tunnel.pair.withClient({ connection, _ in (try? connection.sendDatagram(payload)) != nil }) == true { sent += 1 }
                nextSend = tunnel.pair.now + .milliseconds(1)
            }
            // The server echoes every DATAGRAM it received.
            tunnel.echoServerDatagrams()
            echoed = tunnel.clientDatagramsReceived
            if wentDirectAt == nil, tunnel.agent.isDirect { wentDirectAt = tunnel.pair.now }
            return sent == 100 && tunnel.pair.datagramsInFlight == 0 && tunnel.pair.now >= nextSend + .milliseconds(50)
        }, maxTime: .seconds(5))
        #expect(wentDirectAt != nil)
        #expect(sent == 100)
        let dropped = tunnel.pair.clientConnection?.statistics.datagramsDropped ?? -1
        let serverDropped = tunnel.pair.serverConnection?.statistics.datagramsDropped ?? -1
        let serverReceived = tunnel.pair.serverEvents.count { if case .datagram = $0 { return true }; return false }
        let serverPacketsDropped = tunnel.pair.serverConnection?.statistics.packetsDropped ?? -1
        let clientLost = tunnel.pair.clientConnection?.statistics.packetsLost ?? -1
        #expect(echoed == 100, "server received \(serverReceived), client dropped \(dropped), server dropped \(serverDropped), server packets dropped \(serverPacketsDropped), client packets lost \(clientLost), blackholed \(tunnel.pair.blackHoled)")
    }
}

extension TraversalSwitchTests {
    /// A burst queued around the moment of the switch (before, during, after) is delivered whole.
    @Test(arguments: [0, 10, 20, 30, 40, 50, 60, 70, 80, 100])
    func aBurstAroundTheSwitchIsDelivered(offsetMilliseconds: Int) throws {
        var tunnel = try TraversalPair(seed: 12, latency: .milliseconds(5))
        // The relayed path is the longer one, as through a real relay: packets reorder at the switch.
        tunnel.pair.extraLatency = [agentRelay: .milliseconds(10), connectorRelay: .milliseconds(10)]
        let established = tunnel.establish()
        #expect(established)
        let start = tunnel.pair.now
        tunnel.setCandidates()
        var sent = 0
        tunnel.run(until: { tunnel in
            if sent == 0, tunnel.pair.now >= start + .milliseconds(Int64(offsetMilliseconds)) {
                for index in 0..<50 {
                    let payload = [UInt8(truncatingIfNeeded: index)] + [UInt8](repeating: 0, count: 999)
                    if tunnel.pair.withClient({ connection, _ in (try? connection.sendDatagram(payload)) != nil }) == true { sent += 1 }
                }
            }
            tunnel.echoServerDatagrams()
            return sent > 0 && tunnel.clientDatagramsReceived == sent
        }, maxTime: .seconds(5))
        #expect(sent == 50)
        let received = tunnel.clientDatagramsReceived
        let dropped = tunnel.pair.clientConnection?.statistics.datagramsDropped ?? -1
        let serverDropped = tunnel.pair.serverConnection?.statistics.datagramsDropped ?? -1
        #expect(received == 50, "client dropped \(dropped), server dropped \(serverDropped), direct \(tunnel.agent.isDirect)")
    }
}
