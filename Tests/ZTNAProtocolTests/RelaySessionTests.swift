import NIOCore
import Testing
@testable import ZTNAProtocol

/// The client registration state machine of DESIGN.md §3, with exact deadlines.
@Suite struct RelaySessionTests {
    let web = ServiceID("web")!
    let db = ServiceID("db")!
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let noJitter = RelaySession.RetryPolicy(jitterPermille: 0)

    func drain(_ session: inout RelaySession) -> [RelayMessage] {
        var out: [RelayMessage] = []
        while let bytes = session.pollDatagram() { if let message = try? RelayMessage(parsing: bytes) { out.append(message) } }
        return out
    }

    func events(_ session: inout RelaySession) -> [RelaySessionEvent] {
        var out: [RelaySessionEvent] = []
        while let event = session.pollEvent() { out.append(event) }
        return out
    }

    // MARK: - Registration and retries

    @Test func connectRegistersEveryServiceOnce() {
        var agent = RelaySession(role: .agent, services: [web, db, web], randomSeed: 1)
        #expect(agent.services == [web, db])
        #expect(agent.pollTimeout() == nil)
        agent.connected(now: t0)
        #expect(drain(&agent) == [.registerAgent(web), .registerAgent(db)])
        #expect(agent.state(of: web) == .pending)
        var connector = RelaySession(role: .connector, services: [web], randomSeed: 1)
        connector.connected(now: t0)
        #expect(drain(&connector) == [.registerConnector(web)])
    }

    @Test func retriesDoubleFrom500msAndCapAt5s() {
        var session = RelaySession(role: .agent, services: [web], randomSeed: 1, retryPolicy: noJitter)
        session.connected(now: t0)
        _ = drain(&session)
        var now = t0
        var gaps: [Int64] = []
        for _ in 0..<7 {
            let deadline = session.pollTimeout()!
            gaps.append((deadline - now).nanoseconds / 1_000_000)
            // Nothing is sent before the deadline…
            session.handleTimeout(now: deadline - .nanoseconds(1))
            #expect(session.pollDatagram() == nil)
            // …and exactly one REGISTER at it.
            now = deadline
            session.handleTimeout(now: now)
            #expect(drain(&session) == [.registerAgent(web)])
        }
        #expect(gaps == [500, 1000, 2000, 4000, 5000, 5000, 5000])
    }

    @Test func jitterIsSeededAndWithinTwentyPercent() {
        let seed: UInt64 = 0xABCDEF
        var session = RelaySession(role: .connector, services: [web], randomSeed: seed)
        // The documented formula: delay × (1000 + (r mod 401) − 200) / 1000, r from SplitMix64(seed).
        var generator = SplitMix64(seed: seed)
        func expected(_ milliseconds: Int64) -> Int64 {
            let offset = Int64(generator.next() % 401) - 200
            return milliseconds * 1_000_000 / 1000 * (1000 + offset)
        }
        session.connected(now: t0)
        var now = t0
        for nominal: Int64 in [500, 1000, 2000, 4000, 5000, 5000] {
            let deadline = session.pollTimeout()!
            let gap = (deadline - now).nanoseconds
            #expect(gap == expected(nominal))
            #expect(gap >= nominal * 800_000 && gap <= nominal * 1_200_000)
            now = deadline
            session.handleTimeout(now: now)
        }
        // Same seed, same schedule; another seed, another one.
        var twin = RelaySession(role: .connector, services: [web], randomSeed: seed)
        twin.connected(now: t0)
        var other = RelaySession(role: .connector, services: [web], randomSeed: seed + 1)
        other.connected(now: t0)
        #expect(twin.pollTimeout() == t0 + .nanoseconds(expectedFirst(seed: seed)))
        #expect(other.pollTimeout() != twin.pollTimeout())
    }

    private func expectedFirst(seed: UInt64) -> Int64 {
        var generator = SplitMix64(seed: seed)
        return 500_000 * (1000 + Int64(generator.next() % 401) - 200)
    }

    @Test func ackRegistersAndStopsRetries() {
        var session = RelaySession(role: .agent, services: [web, db], randomSeed: 1, retryPolicy: noJitter)
        session.connected(now: t0)
        _ = drain(&session)
        session.handle(RelayMessage.registerAck(web).bytes, now: t0)
        #expect(session.state(of: web) == .registered)
        #expect(events(&session) == [.registered(web)])
        #expect(!session.isFullyRegistered)
        session.handle(RelayMessage.registerAck(web).bytes, now: t0)  // duplicate: no new event
        #expect(events(&session).isEmpty)
        session.handleTimeout(now: t0 + .milliseconds(500))
        #expect(drain(&session) == [.registerAgent(db)])
        session.handle(RelayMessage.registerAck(db).bytes, now: t0)
        #expect(session.isFullyRegistered)
        #expect(session.pollTimeout() == nil)
    }

    @Test func notAuthorizedStopsRetriesUntilCredentialsChange() {
        var session = RelaySession(role: .connector, services: [web, db], randomSeed: 1, retryPolicy: noJitter)
        session.connected(now: t0)
        _ = drain(&session)
        session.handle(RelayMessage.registerNack(reason: .notAuthorized, id: web.bytes).bytes, now: t0)
        session.handle(RelayMessage.registerAck(db).bytes, now: t0)
        #expect(session.state(of: web) == .refused(.notAuthorized))
        #expect(events(&session) == [.refused(web, .notAuthorized), .registered(db)])
        #expect(session.pollTimeout() == nil)
        session.handleTimeout(now: t0 + .seconds(60))
        #expect(session.pollDatagram() == nil)
        let later = t0 + .seconds(100)
        session.credentialsChanged(now: later)
        #expect(drain(&session) == [.registerConnector(web)])
        #expect(session.state(of: web) == .pending)
        #expect(session.pollTimeout() == later + .milliseconds(500))
    }

    @Test func malformedAndLimitNacksKeepRetryingOnTheCappedSchedule() {
        for reason in [RegisterNackReason.malformed, .limitReached] {
            var session = RelaySession(role: .agent, services: [web], randomSeed: 1, retryPolicy: noJitter)
            session.connected(now: t0)
            _ = drain(&session)
            let nackTime = t0 + .milliseconds(100)
            session.handle(RelayMessage.registerNack(reason: reason, id: web.bytes).bytes, now: nackTime)
            #expect(session.state(of: web) == .refused(reason))
            #expect(events(&session) == [.refused(web, reason)])
            #expect(session.pollTimeout() == nackTime + .seconds(5))
            session.handleTimeout(now: nackTime + .seconds(5))
            #expect(drain(&session) == [.registerAgent(web)])
            #expect(session.pollTimeout() == nackTime + .seconds(10))
            // The same NACK again: no new event; an ACK later wins.
            session.handle(RelayMessage.registerNack(reason: reason, id: web.bytes).bytes, now: nackTime + .seconds(5))
            #expect(events(&session).isEmpty)
            session.handle(RelayMessage.registerAck(web).bytes, now: nackTime + .seconds(6))
            #expect(session.state(of: web) == .registered)
            #expect(session.pollTimeout() == nil)
        }
    }

    @Test func disconnectForgetsEverythingAndReconnectRegistersAgain() {
        var session = RelaySession(role: .agent, services: [web], randomSeed: 1, retryPolicy: noJitter)
        session.connected(now: t0)
        session.handle(RelayMessage.registerAck(web).bytes, now: t0)
        session.handle(RelayMessage.serviceStatus(available: true, web).bytes, now: t0)
        session.handle(RelayMessage.observedAddress(.init(ip: .v4(1), port: 2)).bytes, now: t0)
        #expect(session.isAvailable(web) == true)
        session.disconnected()
        #expect(session.pollDatagram() == nil)
        #expect(session.pollTimeout() == nil)
        #expect(session.state(of: web) == .pending)
        #expect(session.isAvailable(web) == nil)
        #expect(session.observedAddress == nil)
        // While disconnected, input is ignored.
        session.handle(RelayMessage.registerAck(web).bytes, now: t0)
        #expect(session.state(of: web) == .pending)
        let again = t0 + .seconds(30)
        session.connected(now: again)
        #expect(drain(&session) == [.registerAgent(web)])
        #expect(session.pollTimeout() == again + .milliseconds(500))
    }

    // MARK: - Status, address, tunnel packets

    @Test func availabilityAndAddressAreReportedOnChangeOnly() {
        var session = RelaySession(role: .agent, services: [web], randomSeed: 1)
        session.connected(now: t0)
        let address = ObservedAddress(ip: .v4(0xCB00_7107), port: 4433)
        let moved = ObservedAddress(ip: .v4(0xCB00_7107), port: 5000)
        for message: RelayMessage in [
            .observedAddress(address), .observedAddress(address), .registerAck(web),
            .serviceStatus(available: false, web), .serviceStatus(available: false, web),
            .serviceStatus(available: true, web), .observedAddress(moved),
        ] {
            session.handle(message.bytes, now: t0)
        }
        #expect(events(&session) == [
            .observedAddress(address), .registered(web), .availabilityChanged(web, available: false),
            .availabilityChanged(web, available: true), .observedAddress(moved),
        ])
        #expect(session.observedAddress == moved)
        #expect(session.isAvailable(web) == true)
    }

    @Test func agentReceivesServiceDatagramsForItsServicesOnly() {
        var session = RelaySession(role: .agent, services: [web], randomSeed: 1)
        session.connected(now: t0)
        session.handle(RelayMessage.registerAck(web).bytes, now: t0)
        _ = events(&session)
        let packet: [UInt8] = [0x40, 1, 2, 3]
        let bytes = RelayMessage.serviceDatagram(web, payload: packet[...]).bytes
        session.handle(bytes, now: t0)
        #expect(events(&session) == [.serviceDatagram(web, payload: packet[...])])
        let ignoredBefore = session.ignoredMessages
        session.handle(RelayMessage.serviceDatagram(db, payload: packet[...]).bytes, now: t0)       // not ours
        session.handle(RelayMessage.peerDatagram(peer: .init(rawValue: 1), web, payload: []).bytes, now: t0)  // 0x30
        session.handle([0x2F, 0x05, 0x61], now: t0)                                                  // malformed
        session.handle(RelayMessage.registerAgent(web).bytes, now: t0)                               // wrong direction
        session.handle([0x99], now: t0)                                                              // unknown type
        session.handle(RelayMessage.serviceStatus(available: true, db).bytes, now: t0)               // unknown service
        #expect(events(&session).isEmpty)
        #expect(session.ignoredMessages == ignoredBefore + 6)
    }

    @Test func connectorReceivesPeerDatagramsAndIgnoresStatus() {
        var session = RelaySession(role: .connector, services: [web], randomSeed: 1)
        session.connected(now: t0)
        session.handle(RelayMessage.registerAck(web).bytes, now: t0)
        _ = events(&session)
        let peer = PeerID(rawValue: 0x1234)
        session.handle(RelayMessage.peerDatagram(peer: peer, web, payload: [9, 9][...]).bytes, now: t0)
        session.handle(RelayMessage.serviceDatagram(web, payload: [1][...]).bytes, now: t0)
        session.handle(RelayMessage.serviceStatus(available: true, web).bytes, now: t0)
        #expect(events(&session) == [.peerDatagram(peer: peer, web, payload: [9, 9][...])])
        #expect(session.ignoredMessages == 2)
    }

    @Test func outgoingHelpersRequireRoleAndRegistration() {
        var agent = RelaySession(role: .agent, services: [web], randomSeed: 1)
        agent.connected(now: t0)
        #expect(agent.serviceDatagram(for: web, payload: [1]) == nil)  // not yet registered
        agent.handle(RelayMessage.registerAck(web).bytes, now: t0)
        #expect(agent.serviceDatagram(for: web, payload: [1]) == [0x2F, 3] + web.bytes + [1])
        #expect(agent.serviceDatagram(for: db, payload: [1]) == nil)
        #expect(agent.peerDatagram(to: .init(rawValue: 1), for: web, payload: [1]) == nil)
        var connector = RelaySession(role: .connector, services: [web], randomSeed: 1)
        connector.connected(now: t0)
        connector.handle(RelayMessage.registerAck(web).bytes, now: t0)
        #expect(connector.peerDatagram(to: .init(rawValue: 1), for: web, payload: [1])
            == RelayMessage.peerDatagram(peer: .init(rawValue: 1), web, payload: [1]).bytes)
        #expect(connector.serviceDatagram(for: web, payload: [1]) == nil)
    }

    // MARK: - Robustness

    @Test func randomAndMutatedInputNeverTraps() {
        var generator = SplitMix64(seed: 77)
        var sessions = [RelaySession(role: .agent, services: [web, db], randomSeed: 1),
                        RelaySession(role: .connector, services: [web], randomSeed: 2)]
        for index in sessions.indices { sessions[index].connected(now: t0) }
        let seeds: [[UInt8]] = [
            RelayMessage.registerAck(web).bytes, RelayMessage.registerNack(reason: .limitReached, id: db.bytes).bytes,
            RelayMessage.serviceStatus(available: true, web).bytes, RelayMessage.serviceDatagram(web, payload: [1, 2]).bytes,
            RelayMessage.peerDatagram(peer: .init(rawValue: 5), web, payload: [3]).bytes,
            RelayMessage.observedAddress(.init(ip: .v6(high: 1, low: 2), port: 3)).bytes,
        ]
        var now = t0
        for round in 0..<20_000 {
            var bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
            if round % 2 == 0 {
                bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                bytes.removeLast(Int(generator.next() % UInt64(bytes.count)))
            }
            now = now + .milliseconds(Int64(generator.next() % 50))
            for index in sessions.indices {
                sessions[index].handle(bytes, now: now)
                sessions[index].handleTimeout(now: now)
                while sessions[index].pollDatagram() != nil {}
                while sessions[index].pollEvent() != nil {}
                if let deadline = sessions[index].pollTimeout() { #expect(deadline > now) }
            }
        }
        #expect(sessions.allSatisfy { $0.ignoredMessages > 1_000 })
    }
}
