import NIOCore
@testable import QUICCore
import QUICCrypto
import QUICWire
import Testing
import ZTNASimulation

/// The Destination Connection IDs of the short-header packets each side put on the wire.
private final class DestinationLog {
    var entries: [(side: QUICPair.Side, at: NIODeadline, id: ConnectionID)] = []

    func record(_ side: QUICPair.Side, _ datagram: [UInt8], _ now: NIODeadline) {
        guard let first = datagram.first, first & 0x80 == 0,
              let id = PacketHeader.peekDestinationConnectionID(datagram: datagram, shortHeaderConnectionIDLength: 8)
        else { return }
        entries.append((side, now, id))
    }

    func ids(from side: QUICPair.Side, after time: NIODeadline) -> [ConnectionID] {
        entries.filter { $0.side == side && $0.at > time }.map(\.id)
    }

    /// The IDs in the order they were first used (repeats collapsed).
    func distinctIDs(from side: QUICPair.Side) -> [ConnectionID] {
        var seen: [ConnectionID] = []
        for entry in entries where entry.side == side && !seen.contains(entry.id) { seen.append(entry.id) }
        return seen
    }
}

extension QUICPair {
    /// Logs every short-header Destination Connection ID; `drop` may drop datagrams (a blackout).
    fileprivate mutating func logDestinations(drop: @escaping (Side, NIODeadline) -> Bool = { _, _ in false })
        -> DestinationLog {
        let log = DestinationLog()
        filter = { side, datagram, now in
            log.record(side, datagram, now)
            return !drop(side, now)
        }
        return log
    }

    /// Writes `data` on a client stream in `chunk`-byte pieces, one every `tick`, advancing the clock by a
    /// tick at a time and calling `observe` after each; returns what the server read once it saw FIN.
    fileprivate mutating func tickedUpload(_ data: [UInt8], chunk: Int, tick: TimeAmount, maxTicks: Int,
                                           observe: (inout QUICPair) -> Void) -> [UInt8]? {
        guard let stream = withClient({ connection, _ in try? connection.openStream() }) ?? nil else { return nil }
        var offset = 0
        var received: [UInt8] = []
        for _ in 0..<maxTicks {
            if offset < data.count {
                let piece = Array(data[offset..<min(data.count, offset + chunk)])
                let last = offset + piece.count == data.count
                offset += (withClient { connection, _ in try? connection.write(piece, to: stream, fin: last) } ?? nil) ?? 0
            }
            if let result = withServer({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
                received += result.bytes
                if result.fin { return received }
            }
            advance(to: now + tick)
            observe(&self)
        }
        return nil
    }

    /// The transport error a side closed with, if it did.
    fileprivate func transportError(of side: Side) -> QUICCloseError? {
        for case .closed(.transportError(let error)) in side == .client ? clientEvents : serverEvents { return error }
        return nil
    }

    /// The error the peer of `side` reported in its CONNECTION_CLOSE, if it did.
    fileprivate func peerError(of side: Side) -> QUICCloseError? {
        for case .closed(.peer(let error)) in side == .client ? clientEvents : serverEvents { return error }
        return nil
    }
}

@Suite("Connection IDs: issuance, rotation, retirement (RFC 9000 §5.1)")
struct ConnectionIDTests {
    // MARK: - Issuance

    @Test func bothSidesIssueUpToTheLimitAndRouteEveryID() throws {
        var pair = try QUICPair(seed: 41)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        let client = try #require(pair.clientConnection)
        let server = try #require(pair.serverConnection)
        // active_connection_id_limit is 4 on both sides: each holds its current ID of the peer and 3 spares.
        #expect(client.activeConnectionIDs.local.map(\.sequence) == [0, 1, 2, 3])
        #expect(server.activeConnectionIDs.local.map(\.sequence) == [0, 1, 2, 3])
        #expect(client.activeConnectionIDs.peerSpare == Array(server.activeConnectionIDs.local.dropFirst()))
        #expect(server.activeConnectionIDs.peerSpare == Array(client.activeConnectionIDs.local.dropFirst()))
        #expect(client.activeConnectionIDs.peer == server.activeConnectionIDs.local.first)
        for entry in server.activeConnectionIDs.local { #expect(pair.server.routes[entry.id] == pair.serverHandle) }
        for entry in client.activeConnectionIDs.local { #expect(pair.client.routes[entry.id] == pair.clientHandle) }
    }

    @Test func theSmallerLimitOfBothSidesBoundsIssuance() throws {
        var pair = try QUICPair(seed: 42, configureClient: { $0.activeConnectionIDLimit = 2 },
                                configureServer: { $0.activeConnectionIDLimit = 6 })
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        let client = try #require(pair.clientConnection)
        let server = try #require(pair.serverConnection)
        #expect(server.activeConnectionIDs.local.count == 2)    // the client accepts only 2
        #expect(client.activeConnectionIDs.peerSpare.count == 1)
        #expect(client.activeConnectionIDs.local.count == 2)    // capped by the client's own limit
        #expect(pair.clientConnection?.isEstablished == true && pair.serverConnection?.isEstablished == true)
    }

    // MARK: - Rotation

    /// One rotation by the server: the client must switch to a new ID of the server's, retire every older
    /// one, and the server must stop routing them; the reset token the client checks follows the ID.
    @Test func peerSwitchesToTheNewSetAndRetiresTheOldOne() throws {
        var pair = try QUICPair(seed: 43, configureServer: { $0.connectionIDRotationInterval = nil })
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        let log = pair.logDestinations()
        let before = try #require(pair.serverConnection?.activeConnectionIDs)
        let rotated = pair.withServer { connection, now in
            (connection.rotateConnectionIDs(now: now), connection.rotateConnectionIDs(now: now))
        }
        // The second rotation waits until the peer retired the first one's predecessors.
        #expect(rotated?.0 == true)
        #expect(rotated?.1 == false)
        let rotatedAt = pair.now
        #expect(pair.serverConnection?.activeConnectionIDs.localRetirePriorTo == 4)
        // Traffic both ways after the NEW_CONNECTION_ID frames arrived.
        #expect(pair.transferClientToServer(QUICPair.pattern(50_000)) == QUICPair.pattern(50_000))
        pair.advance(to: pair.now + .milliseconds(200))

        let client = try #require(pair.clientConnection)
        let server = try #require(pair.serverConnection)
        #expect(server.connectionIDRotations == 1)
        #expect(server.activeConnectionIDs.local.map(\.sequence) == [4, 5, 6, 7])
        #expect(client.activeConnectionIDs.peer.sequence == 4)
        #expect(client.activeConnectionIDs.peerSpare.map(\.sequence) == [5, 6, 7])
        #expect(client.activeConnectionIDs.peerRetirePriorTo == 4)
        for old in before.local { #expect(pair.server.routes[old.id] == nil) }
        let newID = client.activeConnectionIDs.peer.id
        #expect(pair.server.routes[newID] == pair.serverHandle)
        // Every client packet after the first round trip carries the new ID, and none carried an old one late.
        let later = log.ids(from: .client, after: rotatedAt + .milliseconds(25))
        #expect(!later.isEmpty && later.allSatisfy { $0 == newID })
        #expect(pair.server.statistics.statelessResetsSent == 0)
        // RFC 9000 §10.3.1: the token the client checks is the one issued with the ID it uses.
        let expectedToken = StatelessResetToken(pair.server.resetTokens.token(for: newID.bytes))
        #expect(client.peerStatelessResetToken == expectedToken)
        #expect(pair.client.resetTokenOfConnection[try #require(pair.clientHandle)] == expectedToken)
        // Now a second rotation is possible.
        #expect(pair.withServer { connection, now in connection.rotateConnectionIDs(now: now) } == true)
    }

    /// Both sides rotate on short intervals during a long upload over a lossy link: each side's packets move
    /// to the other's new IDs, old IDs are retired within a second, the routing tables stay bounded, the
    /// stream arrives byte-exact and the connection never sees a packet for an unrouted ID.
    @Test func periodicRotationDuringATransfer() throws {
        var pair = try QUICPair(latency: .milliseconds(10), seed: 44,
                                configureClient: { $0.connectionIDRotationInterval = .seconds(3) },
                                configureServer: { $0.connectionIDRotationInterval = .seconds(2) })
        #expect(try pair.establish())
        let log = pair.logDestinations()
        pair.toServer.lossRate = 0.02
        pair.toClient.lossRate = 0.02
        let data = QUICPair.pattern(4 * 1024 * 1024, seed: 5)
        var maxRoutes = (client: 0, server: 0)
        var lastRotation = (client: (count: 0, at: pair.now), server: (count: 0, at: pair.now))
        var settledChecks = 0
        var problems: [String] = []
        let received = pair.tickedUpload(data, chunk: 10_000, tick: .milliseconds(50), maxTicks: 1000) { pair in
            maxRoutes.client = max(maxRoutes.client, pair.client.routes.count)
            maxRoutes.server = max(maxRoutes.server, pair.server.routes.count)
            guard let client = pair.clientConnection, let server = pair.serverConnection else { return }
            if server.connectionIDRotations != lastRotation.server.count {
                lastRotation.server = (server.connectionIDRotations, pair.now)
            }
            if client.connectionIDRotations != lastRotation.client.count {
                lastRotation.client = (client.connectionIDRotations, pair.now)
            }
            // A second after a rotation the peer has switched and retired every older ID.
            for (issuer, user, since, name) in [(server, client, lastRotation.server.at, "server"),
                                                (client, server, lastRotation.client.at, "client")]
            where pair.now - since >= .seconds(1) {
                settledChecks += 1
                let ids = issuer.activeConnectionIDs
                if ids.local.contains(where: { $0.sequence < ids.localRetirePriorTo }) {
                    problems.append("\(name) IDs not retired at \(pair.now)")
                }
                if !ids.localActive.contains(user.activeConnectionIDs.peer) {
                    problems.append("peer of \(name) uses a rotated-out ID at \(pair.now)")
                }
            }
        }
        let intact = received == data
        #expect(intact)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(settledChecks > 100)
        let client = try #require(pair.clientConnection)
        let server = try #require(pair.serverConnection)
        // 4 MiB at 200 KB/s take about 21 s: rotations every 2 s (server) and 3 s (client).
        #expect(server.connectionIDRotations >= 9)
        #expect(client.connectionIDRotations >= 6)
        #expect(log.distinctIDs(from: .client).count >= server.connectionIDRotations + 1)
        #expect(log.distinctIDs(from: .server).count >= client.connectionIDRotations + 1)
        // At most two sets of 4 (plus the server's route for the client's first Destination Connection ID).
        #expect(maxRoutes.server <= 9)
        #expect(maxRoutes.client <= 8)
        #expect(pair.server.statistics.statelessResetsSent == 0)
        #expect(pair.client.statistics.statelessResetsSent == 0)
    }

    /// While the peer cannot answer, one rotation happens and the next waits: the old set stays routed and
    /// the table does not grow. Once the peer retires the old set, the owed rotation follows at once.
    @Test func rotationWaitsForThePeerToRetireThePreviousSet() throws {
        var pair = try QUICPair(latency: .milliseconds(10), seed: 45,
                                configureServer: { $0.connectionIDRotationInterval = .seconds(2) })
        #expect(try pair.establish())
        let blackoutStart = pair.now + .milliseconds(500)
        let blackoutEnd = blackoutStart + .milliseconds(4500)
        // Server → client datagrams vanish for 4.5 s: the client never hears of the new IDs meanwhile.
        _ = pair.logDestinations(drop: { side, now in side == .server && now >= blackoutStart && now < blackoutEnd })
        var maxRoutes = 0
        var rotationsDuringBlackout = 0
        var firstSetRoutedUntil: NIODeadline?     // the last tick at which IDs older than the first rotation were routed
        var secondRotationAt: NIODeadline?
        let data = QUICPair.pattern(1_500_000, seed: 6)
        let tick = TimeAmount.milliseconds(50)
        let received = pair.tickedUpload(data, chunk: 5_000, tick: tick, maxTicks: 1000) { pair in
            maxRoutes = max(maxRoutes, pair.server.routes.count)
            guard let server = pair.serverConnection else { return }
            let ids = server.activeConnectionIDs
            if pair.now < blackoutEnd { rotationsDuringBlackout = server.connectionIDRotations }
            if server.connectionIDRotations == 1, ids.local.contains(where: { $0.sequence < ids.localRetirePriorTo }) {
                firstSetRoutedUntil = pair.now
            }
            if server.connectionIDRotations >= 2, secondRotationAt == nil { secondRotationAt = pair.now }
        }
        let intact = received == data
        #expect(intact)
        #expect(rotationsDuringBlackout == 1)
        // The old set stayed routed through the blackout, and the owed rotation ran as soon as the peer
        // retired it (within the same tick), not an interval later.
        let routedUntil = try #require(firstSetRoutedUntil)
        let second = try #require(secondRotationAt)
        #expect(routedUntil >= blackoutEnd - tick)
        #expect(second - routedUntil == tick)
        #expect(maxRoutes <= 9)
        #expect(pair.serverConnection?.isEstablished == true)
    }

    /// An idle connection is not rotated (so rotation does not keep it alive); a kept-alive one is.
    @Test func idleConnectionsAreNotRotated() throws {
        var idle = try QUICPair(seed: 46, configureClient: { $0.maxIdleTimeout = .seconds(10) },
                                configureServer: { $0.connectionIDRotationInterval = .seconds(2) })
        #expect(try idle.establish())
        idle.advance(to: idle.now + .seconds(9))
        #expect(idle.serverConnection?.connectionIDRotations == 0)
        idle.advance(to: idle.now + .seconds(11))
        #expect(idle.serverEvents.last == .closed(.idleTimeout))
        #expect(idle.clientEvents.last == .closed(.idleTimeout))

        var kept = try QUICPair(seed: 46, configureClient: {
            $0.maxIdleTimeout = .seconds(10)
            $0.keepAliveInterval = .milliseconds(500)
        }, configureServer: { $0.connectionIDRotationInterval = .seconds(2) })
        #expect(try kept.establish())
        var rotationsBeforeIdleTimeout = 0
        kept.advance(to: kept.now + .seconds(9))
        rotationsBeforeIdleTimeout = kept.serverConnection?.connectionIDRotations ?? -1
        kept.advance(to: kept.now + .seconds(11))
        #expect(kept.bothEstablished)
        #expect(rotationsBeforeIdleTimeout >= 3)
        #expect((kept.serverConnection?.connectionIDRotations ?? 0) >= 8)
    }

    // MARK: - A new path (RFC 9000 §9.5)

    @Test func newPathTakesAnUnusedPeerIDAndRetiresTheOldOne() throws {
        var pair = try QUICPair(seed: 47)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        let log = pair.logDestinations()
        let before = try #require(pair.clientConnection?.activeConnectionIDs)
        let spare = try #require(before.peerSpare.first)
        #expect(pair.withClient { connection, _ in connection.usePeerConnectionIDForNewPath() } == true)
        let switchedAt = pair.now
        #expect(pair.clientConnection?.activeConnectionIDs.peer == spare)
        let token = StatelessResetToken(pair.server.resetTokens.token(for: spare.id.bytes))
        #expect(pair.clientConnection?.peerStatelessResetToken == token)
        pair.withClient { connection, _ in try? connection.sendDatagram([1, 2, 3]) }
        pair.advance(to: pair.now + .milliseconds(200))

        let client = try #require(pair.clientConnection)
        let server = try #require(pair.serverConnection)
        // The server retired sequence 0, stopped routing it and issued a replacement (sequence 4).
        #expect(server.activeConnectionIDs.local.map(\.sequence) == [1, 2, 3, 4])
        #expect(pair.server.routes[before.peer.id] == nil)
        #expect(client.activeConnectionIDs.peerSpare.map(\.sequence) == [2, 3, 4])
        let sent = log.ids(from: .client, after: switchedAt - .nanoseconds(1))
        #expect(!sent.isEmpty && sent.allSatisfy { $0 == spare.id })
        #expect(pair.serverEvents.contains(.datagram([1, 2, 3])))
    }

    @Test func newPathFailsWithoutASpareID() throws {
        var pair = try QUICPair(seed: 48)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        let results = pair.withClient { connection, _ in
            (0..<4).map { _ in connection.usePeerConnectionIDForNewPath() }
        }
        #expect(results == [true, true, true, false])
        #expect(pair.clientConnection?.activeConnectionIDs.peer.sequence == 3)
        // The server retires 0, 1 and 2, issues 4, 5 and 6, and the client has spares again.
        pair.advance(to: pair.now + .milliseconds(200))
        #expect(pair.clientConnection?.activeConnectionIDs.peerSpare.map(\.sequence) == [4, 5, 6])
        #expect(pair.withClient { connection, _ in connection.usePeerConnectionIDForNewPath() } == true)
    }

    /// RFC 9000 §10.3.1: a stateless reset is recognised by the token of the ID in use, and no longer by the
    /// token of a retired one.
    @Test func statelessResetTokenFollowsTheIDInUse() throws {
        var pair = try QUICPair(seed: 49)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        let oldToken = try #require(pair.clientConnection?.peerStatelessResetToken)
        #expect(pair.withClient { connection, _ in connection.usePeerConnectionIDForNewPath() } == true)
        let newToken = try #require(pair.clientConnection?.peerStatelessResetToken)
        #expect(newToken != oldToken)
        func reset(with token: StatelessResetToken) -> [UInt8] {
            [0x41] + QUICPair.pattern(30, seed: 9) + token.bytes
        }
        pair.client.handle(datagram: reset(with: oldToken), from: pair.serverAddress, now: pair.now)
        pair.flush()
        #expect(pair.clientConnection?.isEstablished == true)
        pair.client.handle(datagram: reset(with: newToken), from: pair.serverAddress, now: pair.now)
        pair.flush()
        #expect(pair.clientEvents.last == .closed(.statelessReset))
    }

    /// A NEW_CONNECTION_ID retransmitted after we retired its ID for a new path does not bring it back.
    @Test func retiredPeerIDsAreNotReused() throws {
        var pair = try QUICPair(seed: 50)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        let switched = pair.withClient { connection, _ in
            [connection.usePeerConnectionIDForNewPath(), connection.usePeerConnectionIDForNewPath()]
        }
        #expect(switched == [true, true])
        // The server sends sequence 1 again before the client's RETIRE_CONNECTION_ID(1) reaches it.
        pair.withServer { connection, _ in connection.pendingNewConnectionIDs.append(1) }
        pair.advance(to: pair.now + .milliseconds(200))
        let client = try #require(pair.clientConnection)
        #expect(client.activeConnectionIDs.peer.sequence == 2)
        #expect(!client.activeConnectionIDs.peerSpare.contains { $0.sequence <= 1 })
        #expect(client.isEstablished)
    }

    // MARK: - Errors

    /// RFC 9000 §19.16: retiring a sequence number never issued is a PROTOCOL_VIOLATION.
    @Test func retiringAnUnknownSequenceIsAProtocolViolation() throws {
        var pair = try QUICPair(seed: 51)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        pair.withClient { connection, _ in connection.pendingRetireConnectionIDs.append(77) }
        pair.advance(to: pair.now + .milliseconds(200))
        let error = try #require(pair.transportError(of: .server))
        #expect(error.code == TransportErrorCode.protocolViolation.rawValue)
        #expect(error.frameType == FrameType.retireConnectionID)
        #expect(pair.peerError(of: .client)?.code == TransportErrorCode.protocolViolation.rawValue)
    }

    /// RFC 9000 §5.1.1: a peer that issues more IDs than our active_connection_id_limit.
    @Test func moreIDsThanTheLimitIsAConnectionIDLimitError() throws {
        var pair = try QUICPair(seed: 52)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        // The server ignores the client's limit of 4 and announces a fifth ID.
        pair.withServer { connection, _ in
            let sequence = connection.nextLocalConnectionIDSequence
            connection.nextLocalConnectionIDSequence += 1
            connection.localConnectionIDs[sequence] = ConnectionID(QUICPair.pattern(8, seed: 3))
            connection.pendingNewConnectionIDs.append(sequence)
        }
        pair.advance(to: pair.now + .milliseconds(200))
        let error = try #require(pair.transportError(of: .client))
        #expect(error.code == TransportErrorCode.connectionIDLimitError.rawValue)
        #expect(error.frameType == FrameType.newConnectionID)
        #expect(pair.peerError(of: .server)?.code == TransportErrorCode.connectionIDLimitError.rawValue)
    }

    /// RFC 9000 §19.15: one sequence number announced with two different IDs.
    @Test func aSequenceNumberReusedForAnotherIDIsAProtocolViolation() throws {
        var pair = try QUICPair(seed: 53)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        pair.withServer { connection, _ in
            connection.localConnectionIDs[2] = ConnectionID(QUICPair.pattern(8, seed: 4))
            connection.pendingNewConnectionIDs.append(2)
        }
        pair.advance(to: pair.now + .milliseconds(200))
        let error = try #require(pair.transportError(of: .client))
        #expect(error.code == TransportErrorCode.protocolViolation.rawValue)
        #expect(error.frameType == FrameType.newConnectionID)
    }

    /// RFC 9000 §5.1.2: a peer that makes us retire more IDs than we track is a CONNECTION_ID_LIMIT_ERROR,
    /// while the few stale IDs of a normal rotation are retired on arrival without complaint.
    @Test func floodOfStaleIDsIsAConnectionIDLimitError() throws {
        var pair = try QUICPair(seed: 54)
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        // One packet: sequence 40 with Retire Prior To 40, then 20 IDs below it, each retired on arrival.
        pair.withServer { connection, _ in
            connection.connectionIDState.retirePriorTo = 40
            connection.nextLocalConnectionIDSequence = 41
            for sequence in [40] + Array(10..<30) {
                connection.localConnectionIDs[UInt64(sequence)] = ConnectionID(QUICPair.pattern(8, seed: UInt8(sequence)))
                connection.pendingNewConnectionIDs.append(UInt64(sequence))
            }
        }
        pair.advance(to: pair.now + .milliseconds(200))
        let error = try #require(pair.transportError(of: .client))
        #expect(error.code == TransportErrorCode.connectionIDLimitError.rawValue)
        #expect(error.reason.contains("retire"))
    }
}
