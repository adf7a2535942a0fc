import NIOCore
import QUICCore
import Testing
import ZTNASimulation

@Suite("1-RTT key update (RFC 9001 §6)")
struct KeyUpdateTests {
    /// The client updates every 100 packets during a transfer over a reordering, slightly lossy link; the
    /// server follows each update, old-phase packets that arrive late still decrypt, nothing is lost.
    @Test func repeatedClientUpdatesWithReordering() throws {
        var pair = try QUICPair(latency: .milliseconds(10), seed: 5, configureClient: { $0.keyUpdateInterval = 100 })
        #expect(try pair.establish())
        for link in [\QUICPair.toServer, \QUICPair.toClient] {
            pair[keyPath: link].reorderRate = 0.2
            pair[keyPath: link].reorderDelay = .milliseconds(12)
            pair[keyPath: link].lossRate = 0.01
        }
        let data = QUICPair.pattern(3 * 1024 * 1024, seed: 9)
        let received = pair.transferClientToServer(data)
        let intact = received == data
        #expect(intact)
        let client = try #require(pair.clientConnection)
        let server = try #require(pair.serverConnection)
        #expect(client.keyUpdates.initiated >= 5)
        #expect(server.keyUpdates.responded == client.keyUpdates.initiated)
        #expect(client.currentKeyPhase == server.currentKeyPhase)
    }

    /// Both sides update on their own schedules; every update is followed and the phases stay in step.
    @Test func bothSidesUpdate() throws {
        var pair = try QUICPair(latency: .milliseconds(5), seed: 6,
                                configureClient: { $0.keyUpdateInterval = 150 },
                                configureServer: { $0.keyUpdateInterval = 70 })
        #expect(try pair.establish())
        let data = QUICPair.pattern(2 * 1024 * 1024, seed: 2)
        let intact = pair.transferClientToServer(data) == data
        #expect(intact)
        let client = try #require(pair.clientConnection)
        let server = try #require(pair.serverConnection)
        #expect(client.keyUpdates.initiated + client.keyUpdates.responded >= 3)
        #expect(server.keyUpdates.initiated >= 1)
        // Updates both sides start at about the same time cross (both move to the same next keys), so
        // responses can be fewer than initiations; what matters is that the phases agree.
        #expect(client.keyUpdates.responded + server.keyUpdates.responded >= 1)
        #expect(client.currentKeyPhase == server.currentKeyPhase)
    }

    /// RFC 9001 §6.1: no second update until a packet of the current phase was acknowledged.
    @Test func noUpdateBeforeTheCurrentPhaseIsAcknowledged() throws {
        var pair = try QUICPair(configureClient: { $0.keyUpdateInterval = nil })
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        let first = pair.withClient { connection, now in connection.initiateKeyUpdate(now: now) }
        #expect(first == true)
        let second = pair.withClient { connection, now in connection.initiateKeyUpdate(now: now) }
        #expect(second == false)
        // Traffic in the new phase gets acknowledged; then another update is allowed.
        _ = pair.transferClientToServer(QUICPair.pattern(10_000))
        pair.advance(to: pair.now + .milliseconds(200))
        let third = pair.withClient { connection, now in connection.initiateKeyUpdate(now: now) }
        #expect(third == true)
        #expect(pair.serverConnection?.keyUpdates.responded == 1)
    }

    /// A requested update that §6.1 does not allow yet is kept and starts once a packet of the current
    /// phase is acknowledged; both sides report it as an event.
    @Test func aRequestedUpdateWaitsUntilItIsAllowed() throws {
        var pair = try QUICPair(latency: .milliseconds(10), configureClient: { $0.keyUpdateInterval = nil })
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(200))
        let first = pair.withClient { connection, now in connection.requestKeyUpdate(now: now) }
        #expect(first == .started)
        let second = pair.withClient { connection, now in connection.requestKeyUpdate(now: now) }
        #expect(second == .pending)
        #expect(pair.clientConnection?.keyUpdates.initiated == 1)
        // Nothing else is sent: the pending request must ride on the acknowledgement of the next packet.
        _ = pair.transferClientToServer(QUICPair.pattern(1000))
        pair.advance(to: pair.now + .milliseconds(200))
        #expect(pair.clientConnection?.keyUpdates.initiated == 2)
        // The peer sees the new phase with our next packet.
        _ = pair.transferClientToServer(QUICPair.pattern(1000))
        #expect(pair.serverConnection?.keyUpdates.responded == 2)
        let clientUpdates = pair.clientEvents.filter { $0 == .keysUpdated(initiatedByPeer: false) }.count
        let serverUpdates = pair.serverEvents.filter { $0 == .keysUpdated(initiatedByPeer: true) }.count
        #expect(clientUpdates == 2)
        #expect(serverUpdates == 2)
    }
}
