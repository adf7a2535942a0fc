import NIOCore
@testable import QUICCore
import Testing
import ZTNASimulation

/// The client's handle for the relay route, and the server's handle for the same route.
private let clientRelay = PathAddress.relayed(RelayRoute(1))
private let serverRelay = PathAddress.relayed(RelayRoute(2))

/// The application's failure rule for a direct path (DESIGN.md §6): acknowledgements missing for about three
/// PTOs, at least 1 s, at most 3 s.
private func directPathFailed(_ health: PathHealthSnapshot) -> Bool {
    guard let waiting = health.unacknowledgedFor else { return false }
    return waiting > min(max(health.probeTimeout * 3, .seconds(1)), .seconds(3))
}

@Suite("Direct path failover: relayed → direct → relayed without loss (DESIGN.md §6)")
struct DirectPathFailoverTests {
    /// A pair established on a relayed path, with the direct UDP path also routed (as in MigrationTests).
    static func relayedPair(seed: UInt64) throws -> QUICPair {
        var pair = try QUICPair(latency: .milliseconds(10), seed: seed)
        pair.clientRoutes[clientRelay] = serverRelay
        pair.serverRoutes[serverRelay] = clientRelay
        try pair.connect(via: clientRelay)
        _ = pair.drive(until: { $0.bothEstablished && $0.clientConnection?.isHandshakeConfirmed == true },
                       maxTime: .seconds(5))
        return pair
    }

    /// Established on the relayed path, then moved to the validated direct path (the server followed).
    static func directPair(seed: UInt64) throws -> QUICPair {
        var pair = try relayedPair(seed: seed)
        let direct = pair.serverAddress
        _ = try pair.withClient { connection, now in try connection.probePath(direct, now: now) }
        _ = pair.drive(until: { $0.clientConnection?.isPathValidated(direct) == true }, maxTime: .seconds(2))
        // The server follows our next non-probing packet (migrate's contract): a PING makes one.
        _ = try pair.withClient { connection, now in
            try connection.migrate(to: direct, now: now)
            connection.sendPing()
        }
        _ = pair.drive(until: { $0.serverConnection?.isPathValidated($0.clientAddress) == true }, maxTime: .seconds(2))
        return pair
    }

    // The 2 MB upload and download failover transfers (pathHealth-driven, abandoning the direct path mid-stream)
    // did not finish in reasonable wall time in this session and are not here yet; see the closing note of
    // "Direct paths, part 1".

    /// The server keeps the relayed path it followed the client from as a validated candidate, so when the
    /// client falls back there the server follows at once, with no validation of its own.
    @Test func theServerKeepsThePathItFollowedFromAndFollowsBackAtOnce() throws {
        var pair = try Self.directPair(seed: 61)
        #expect(pair.serverConnection?.activePath == pair.clientAddress)
        #expect(pair.serverConnection?.isPathValidated(serverRelay) == true)
        _ = try pair.withClient { connection, now in
            try connection.migrate(to: clientRelay, abandoningCurrent: true, now: now)
            connection.sendPing()
        }
        let followed = pair.drive(until: { $0.serverConnection?.activePath == serverRelay }, maxSteps: 10_000,
                                  maxTime: .milliseconds(100))
        #expect(followed)
        // Followed to a path already validated: nothing to validate, no fallback kept.
        #expect(pair.serverConnection?.isPathValidated(serverRelay) == true)
        #expect(!pair.serverEvents.suffix(3).contains(.pathFailed(serverRelay)))
    }

    /// Without `abandoningCurrent`, a failover waits for probe timeouts that the dead path backed off:
    /// the abandoning migration must be the faster one (the reason the option exists).
    @Test func abandoningIsFasterThanWaitingForProbeTimeouts() throws {
        func resumeDelay(abandoning: Bool) throws -> TimeAmount? {
            var pair = try Self.directPair(seed: 53)
            let data = QUICPair.pattern(1024 * 1024, seed: 8)
            let stream = try #require(pair.withClient { connection, _ in try? connection.openStream() } ?? nil)
            var writer = StreamWriter(data: data, stream: stream, side: .client)
            var received = 0
            var cutAt: NIODeadline?
            var failedOver = false
            var receivedAtFailover = 0
            var resumedAt: NIODeadline?
            _ = pair.drive(until: { pair in
                writer.pump(&pair)
                if let read = pair.withServer({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
                    received += read.bytes.count
                    if failedOver, resumedAt == nil, received > receivedAtFailover { resumedAt = pair.now }
                }
                if cutAt == nil, received > 300_000 {
                    pair.clientRoutes[pair.serverAddress] = nil
                    pair.serverRoutes[pair.clientAddress] = nil
                    cutAt = pair.now
                }
                if let cut = cutAt, !failedOver, pair.now >= cut + .seconds(1) {
                    _ = pair.withClient { connection, now in
                        try? connection.migrate(to: clientRelay, abandoningCurrent: abandoning, now: now)
                    }
                    failedOver = true
                    receivedAtFailover = received
                }
                return resumedAt != nil
            }, maxTime: .seconds(60))
            guard let cutAt, let resumedAt else { return nil }
            return resumedAt - cutAt
        }
        let abandoning = try #require(try resumeDelay(abandoning: true))
        // The failover itself happens 1 s after the cut; DESIGN.md §6 wants traffic back within 3 s of it.
        // (Measured: 1.51 s — 0.51 s from the migration to the first new byte in order; where those 0.5 s go
        // is not yet understood and is worth a look.)
        #expect(abandoning < .seconds(3))
        if let waiting = try resumeDelay(abandoning: false) { #expect(abandoning < waiting) }
    }
}

@Suite("Path probing for NAT traversal: limits, abandoning, padding, IDs")
struct PathProbingTests {
    static func address(_ last: Int, port: Int) throws -> PathAddress {
        .udp(try SocketAddress(ipAddress: "198.51.100.\(last)", port: port))
    }

    static func probe(_ pair: inout QUICPair, _ side: QUICPair.Side, _ remote: PathAddress) -> QUICPathError? {
        let probe: (inout QUICConnection, NIODeadline) -> QUICPathError? = { connection, now in
            do throws(QUICPathError) { try connection.probePath(remote, now: now); return nil } catch { return error }
        }
        return side == .client ? pair.withClient(probe) ?? nil : pair.withServer(probe) ?? nil
    }

    /// Abandoning a probe stops its retransmissions at once and retires the connection ID it used; the peer
    /// replaces it, so the next probes still have IDs of their own. The active path is not a candidate.
    @Test func abandonedProbeStopsAndReleasesItsConnectionID() throws {
        var pair = try MigrationTests.relayedPair()
        pair.recordsShortHeaderConnectionIDs = true
        let nowhere = try Self.address(9, port: 9000)
        let spareBefore = try #require(pair.serverConnection?.activeConnectionIDs.peerSpare)
        #expect(spareBefore.count == 3)
        #expect(Self.probe(&pair, .server, nowhere) == nil)
        let probeIDs = PathConnectionIDTests.ids(pair, from: .server, to: nowhere)
        #expect(probeIDs.count == 1)
        #expect(pair.serverConnection?.activeConnectionIDs.peerSpare.count == 2)
        pair.advance(to: pair.now + .milliseconds(150))            // the first retransmission went out
        #expect(pair.blackHoled[.server] == 2)
        pair.withServer { connection, _ in connection.abandonPath(nowhere) }
        pair.withServer { connection, _ in connection.abandonPath(serverRelay) }   // the active path: no effect
        #expect(pair.serverConnection?.activePath == serverRelay)
        pair.advance(to: pair.now + .seconds(10))
        #expect(pair.blackHoled[.server] == 2)
        #expect(!pair.serverEvents.contains(.pathFailed(nowhere)))
        #expect(pair.serverConnection?.otherPaths.contains(nowhere) == false)
        // The ID was retired (RETIRE_CONNECTION_ID); the client issued a replacement.
        let spareAfter = try #require(pair.serverConnection?.activeConnectionIDs.peerSpare)
        #expect(spareAfter.count == 3)
        #expect(Set(spareAfter.map(\.id.bytes)).isDisjoint(with: probeIDs))
        let clientIssued = try #require(pair.clientConnection?.activeConnectionIDs.local.map(\.id.bytes))
        #expect(Set(clientIssued).isDisjoint(with: probeIDs))
    }

    /// RFC 9000 §8.1: the PATH_RESPONSE to a challenge from a never-validated address goes out within three
    /// times what arrived from there: a 100-byte challenge gets a 300-byte answer, not a 1200-byte one.
    @Test func responseToAnUnsolicitedChallengeIsAmplificationLimited() throws {
        var pair = try MigrationTests.relayedPair()
        pair.recordsDatagrams = true
        let direct = pair.serverAddress
        _ = try pair.withClient { connection, now in try connection.probePath(direct, maxUDPPayload: 100, now: now) }
        _ = pair.drive(until: { $0.clientConnection?.isPathValidated(direct) == true }, maxTime: .seconds(1))
        #expect(pair.clientConnection?.isPathValidated(direct) == true)
        let challenges = pair.sentDatagrams.filter { $0.side == .client && $0.destination == direct }.map(\.size)
        let responses = pair.sentDatagrams.filter { $0.side == .server && $0.destination == pair.clientAddress }
            .map(\.size)
        #expect(challenges == [100])
        #expect(responses == [300])
    }

    /// Both sides punch at once (DESIGN.md §6): the server's own 1200-byte challenges to an address do not use
    /// up what the amplification limit allows for answering the challenges that arrive from it — the answer
    /// goes out at once, not with the server's next retransmission.
    @Test func ownProbesDoNotDelayTheAnswerToThePeersProbe() throws {
        var pair = try MigrationTests.relayedPair()
        pair.recordsDatagrams = true
        pair.clientRoutes[pair.serverAddress] = nil                  // the client's NAT is still closed
        let start = pair.now
        #expect(Self.probe(&pair, .server, pair.clientAddress) == nil)   // t, t+100 ms, t+300 ms, t+700 ms, …
        pair.advance(to: start + .milliseconds(350))
        pair.clientRoutes[pair.serverAddress] = pair.clientAddress   // it opened
        #expect(Self.probe(&pair, .client, pair.serverAddress) == nil)
        pair.advance(to: start + .milliseconds(371))            // the answer is back 10 ms later
        let server = pair.sentDatagrams.filter { $0.side == .server && $0.destination == pair.clientAddress }
        #expect(server.map(\.at) == [start, start + .milliseconds(100), start + .milliseconds(300),
                                     start + .milliseconds(360)])
        #expect(server.allSatisfy { $0.size == 1200 })
        #expect(pair.clientConnection?.isPathValidated(pair.serverAddress) == true)
    }
}

@Suite("Path liveness snapshot (DESIGN.md §6)")
struct PathHealthTests {
    /// On a path whose validation measured 20 ms: right after the migration the PTO is 20 + 4 × 10 + 25 ms
    /// (one sample, RFC 9002 §5.3), the PING sent with the migration is the one packet awaiting an acknowledgement, and the
    /// last packet received on the path is the PATH_RESPONSE.
    @Test func snapshotAfterMigrationAndAPing() throws {
        var pair = try MigrationTests.relayedPair()
        let direct = pair.serverAddress
        _ = try pair.withClient { connection, now in try connection.probePath(direct, now: now) }
        let probedAt = pair.now
        _ = pair.drive(until: { $0.clientConnection?.isPathValidated(direct) == true }, maxTime: .seconds(1))
        #expect(pair.now == probedAt + .milliseconds(20))
        // Let everything in flight on the relayed path settle.
        pair.advance(to: pair.now + .milliseconds(200))
        let relayed = try #require(pair.clientConnection?.pathHealth(now: pair.now))
        #expect(relayed.path == clientRelay)
        #expect(relayed.unacknowledgedSince == nil)

        let migratedAt = pair.now
        _ = try pair.withClient { connection, now in
            try connection.migrate(to: direct, now: now)
            connection.sendPing()                                  // what makes the server follow at once
        }
        let health = try #require(pair.clientConnection?.pathHealth(now: migratedAt))
        #expect(health.path == direct)
        #expect(health.now == migratedAt)
        #expect(health.probeTimeout == .milliseconds(85))
        #expect(health.unacknowledgedSince == migratedAt)
        #expect(health.unacknowledgedFor == .zero)
        #expect(health.lastAckElicitingSent == migratedAt)
        #expect(health.lastReceived == probedAt + .milliseconds(20))

        // The server acknowledges the PING within its max_ack_delay (25 ms): back by +10 + 25 + 10 ms.
        _ = pair.drive(until: { $0.clientConnection?.pathHealth(now: $0.now).unacknowledgedSince == nil },
                       maxTime: .seconds(1))
        let acknowledged = try #require(pair.clientConnection?.pathHealth(now: pair.now))
        #expect(pair.now <= migratedAt + .milliseconds(45))
        #expect(pair.now >= migratedAt + .milliseconds(20))
        #expect(acknowledged.lastReceived == pair.now)
        #expect((acknowledged.lastAckElicitingSent ?? .distantPast) >= migratedAt)

        // sendPing: one PING, at once; a second call before it left adds nothing.
        pair.advance(to: pair.now + .milliseconds(100))
        let pingAt = pair.now
        let sentBefore = pair.clientConnection?.statistics.packetsSent ?? 0
        pair.withClient { connection, _ in connection.sendPing(); connection.sendPing() }
        #expect(pair.clientConnection?.statistics.packetsSent == sentBefore + 1)
        let pinged = try #require(pair.clientConnection?.pathHealth(now: pingAt + .milliseconds(5)))
        #expect(pinged.unacknowledgedSince == pingAt)
        #expect(pinged.unacknowledgedFor == .milliseconds(5))
        #expect(pinged.lastAckElicitingSent == pingAt)
    }

    /// A black-holed path: the oldest unacknowledged packet keeps its send time while probe timeouts resend,
    /// and nothing more is received — what the application's failure rule reads.
    @Test func unacknowledgedSinceStaysAtTheOldestPacket() throws {
        var pair = try MigrationTests.relayedPair()
        pair.advance(to: pair.now + .milliseconds(200))
        let lastHeard = try #require(pair.clientConnection?.pathHealth(now: pair.now).lastReceived)
        pair.clientRoutes[clientRelay] = nil
        let cut = pair.now
        pair.withClient { connection, _ in connection.sendPing() }
        pair.advance(to: cut + .seconds(2))
        let health = try #require(pair.clientConnection?.pathHealth(now: pair.now))
        #expect(health.unacknowledgedSince == cut)
        #expect(health.unacknowledgedFor == .seconds(2))
        #expect(health.lastReceived == lastHeard)
        #expect((health.lastAckElicitingSent ?? cut) > cut)      // probe timeouts sent again
        #expect(directPathFailed(health))
    }
}
