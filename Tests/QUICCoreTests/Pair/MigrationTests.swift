import NIOCore
import QUICCore
import Testing
import ZTNASimulation

/// The client's handle for the relay route, and the server's handle for the same route.
private let clientRelay = PathAddress.relayed(RelayRoute(1))
private let serverRelay = PathAddress.relayed(RelayRoute(2))

@Suite("Paths, migration and NAT rebinding (RFC 9000 §8.2, §9)")
struct MigrationTests {
    /// A pair whose connection starts on a relayed path, with a direct UDP path also available.
    static func relayedPair() throws -> QUICPair {
        var pair = try QUICPair(latency: .milliseconds(10), seed: 31)
        pair.clientRoutes[clientRelay] = serverRelay
        pair.serverRoutes[serverRelay] = clientRelay
        try pair.connect(via: clientRelay)
        _ = pair.drive(until: { $0.bothEstablished && $0.clientConnection?.isHandshakeConfirmed == true },
                       maxTime: .seconds(5))
        return pair
    }

    @Test func relayedToDirectAndBackWithTrafficBothWays() throws {
        var pair = try Self.relayedPair()
        #expect(pair.bothEstablished)
        #expect(pair.clientConnection?.activePath == clientRelay)
        #expect(pair.serverConnection?.activePath == serverRelay)
        var transfer = BidirectionalTransfer(bytes: 2 * 1024 * 1024)
        let direct = pair.serverAddress
        var phase = 0
        let done = pair.drive(until: { pair in
            transfer.pump(&pair)
            let moved = transfer.receivedByServer.count + transfer.receivedByClient.count
            switch phase {
            case 0 where moved > 500_000:
                // NAT traversal found the direct path: probe it, then move there once it validated.
                _ = pair.withClient { connection, now in try? connection.probePath(direct, now: now) }
                phase = 1
            case 1 where pair.clientConnection?.isPathValidated(direct) == true:
                _ = pair.withClient { connection, now in try? connection.migrate(to: direct, now: now) }
                phase = 2
            case 2 where moved > 2_500_000:
                // The direct path dies: back to the relayed path, still validated.
                _ = pair.withClient { connection, now in try? connection.migrate(to: clientRelay, now: now) }
                pair.clientRoutes[pair.serverAddress] = nil
                pair.serverRoutes[pair.clientAddress] = nil
                phase = 3
            default:
                break
            }
            return transfer.finished
        }, maxTime: .seconds(120))
        #expect(done)
        #expect(transfer.intact)
        #expect(phase == 3)
        #expect(pair.clientEvents.contains(.pathValidated(pair.serverAddress)))
        #expect(pair.clientEvents.contains(.activePathChanged(pair.serverAddress)))
        #expect(pair.serverEvents.contains(.peerAddressChanged(pair.clientAddress)))
        #expect(pair.serverEvents.contains(.peerAddressChanged(serverRelay)))
        #expect(pair.clientConnection?.activePath == clientRelay)
        #expect(pair.serverConnection?.activePath == serverRelay)
    }

    @Test func natRebindingMidTransferKeepsTheStreamAndDatagramsFlowing() throws {
        // A little loss keeps the congestion window (and so the number of simulation steps) realistic.
        try Self.rebindMidTransfer(of: .client, seed: 32, megabytes: 10, rebindAfter: 2_000_000, lossRate: 0.01,
                                   rebound: .udp(try SocketAddress(ipAddress: "192.0.2.1", port: 61000)))
    }

    /// The server's NAT rebinds (the connector sits behind one, DESIGN.md §1): the client sees the server's
    /// packets come from a new address, follows, validates it, and the transfer and datagrams go on.
    @Test func serverNATRebindingIsFollowedByTheClient() throws {
        try Self.rebindMidTransfer(of: .server, seed: 34, megabytes: 3, rebindAfter: 1_000_000, lossRate: 0,
                                   rebound: .udp(try SocketAddress(ipAddress: "192.0.2.2", port: 62000)))
    }

    /// One side's NAT picks a new public port during a client → server upload (the old mapping gone in both
    /// directions); that side then sends 20 DATAGRAMs. The other side must follow and validate the new address,
    /// the stream must arrive byte-exact, and the datagrams must keep flowing.
    static func rebindMidTransfer(of side: QUICPair.Side, seed: UInt64, megabytes: Int, rebindAfter: Int,
                                  lossRate: Double, rebound: PathAddress) throws {
        var pair = try QUICPair(latency: .milliseconds(10), seed: seed)
        #expect(try pair.establish())
        pair.toServer.lossRate = lossRate
        pair.toClient.lossRate = lossRate
        let data = QUICPair.pattern(megabytes * 1024 * 1024, seed: 4)
        let stream = try #require(pair.withClient { connection, _ in try? connection.openStream() } ?? nil)
        var writer = StreamWriter(data: data, stream: stream, side: .client)
        var received: [UInt8] = []
        var finished = false
        var didRebind = false
        var datagramsAfterRebinding = 0
        let done = pair.drive(until: { pair in
            writer.pump(&pair)
            if let result = pair.withServer({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
                received += result.bytes
                finished = finished || result.fin
            }
            if !didRebind && received.count > rebindAfter {
                if side == .client {
                    pair.clientRoutes[pair.serverAddress] = rebound
                    pair.serverRoutes[pair.clientAddress] = nil
                    pair.serverRoutes[rebound] = pair.serverAddress
                } else {
                    pair.serverRoutes[pair.clientAddress] = rebound
                    pair.clientRoutes[pair.serverAddress] = nil
                    pair.clientRoutes[rebound] = pair.clientAddress
                }
                didRebind = true
            }
            if didRebind, datagramsAfterRebinding < 20 {
                let datagram = [UInt8](repeating: 7, count: 100)
                let sent = side == .client
                    ? pair.withClient { connection, _ in try? connection.sendDatagram(datagram) }
                    : pair.withServer { connection, _ in try? connection.sendDatagram(datagram) }
                if sent != nil { datagramsAfterRebinding += 1 }
            }
            return finished
        }, maxTime: .seconds(300))
        #expect(done)
        let intact = received == data
        #expect(intact)
        let follower = side == .client ? pair.serverEvents : pair.clientEvents
        let followerPath = side == .client ? pair.serverConnection?.activePath : pair.clientConnection?.activePath
        #expect(follower.contains(.peerAddressChanged(rebound)))
        #expect(follower.contains(.pathValidated(rebound)))
        #expect(followerPath == rebound)
        let delivered = follower.filter { if case .datagram = $0 { return true } else { return false } }.count
        #expect(delivered >= 15)
    }

    @Test func blackHoledPathFailsAndTheConnectionStays() throws {
        var pair = try QUICPair(latency: .milliseconds(10), seed: 33)
        #expect(try pair.establish())
        let nowhere = PathAddress.udp(try SocketAddress(ipAddress: "192.0.2.99", port: 9))
        let start = pair.now
        _ = pair.withClient { connection, now in try? connection.probePath(nowhere, now: now) }
        pair.advance(to: start + .seconds(10))
        #expect(pair.clientEvents.contains(.pathFailed(nowhere)))
        #expect(pair.blackHoled[.client] == 5)          // five PATH_CHALLENGE transmissions (100 ms doubling)
        #expect(pair.clientConnection?.activePath == pair.serverAddress)
        #expect(pair.clientConnection?.isEstablished == true)
        let migrated = pair.withClient { connection, now in
            do { try connection.migrate(to: nowhere, now: now); return true } catch { return false }
        }
        #expect(migrated == false)
        let data = QUICPair.pattern(100_000)
        let intact = pair.transferClientToServer(data) == data
        #expect(intact)
    }

    /// The server may probe an address the application learnt (NAT traversal): the client answers from its
    /// socket on that path; validation succeeds without any migration.
    @Test func serverProbesAClientAddress() throws {
        var pair = try Self.relayedPair()
        let clientAddress = pair.clientAddress
        _ = pair.withServer { connection, now in try? connection.probePath(clientAddress, now: now) }
        pair.advance(to: pair.now + .seconds(1))
        #expect(pair.serverEvents.contains(.pathValidated(pair.clientAddress)))
        #expect(pair.serverConnection?.activePath == serverRelay)
        #expect(pair.clientConnection?.activePath == clientRelay)
    }
}

@Suite("Connection IDs per path (RFC 9000 §9.5)")
struct PathConnectionIDTests {
    /// The IDs each side used towards one destination.
    static func ids(_ pair: QUICPair, from side: QUICPair.Side, to destination: PathAddress) -> Set<[UInt8]> {
        Set(pair.shortHeaderConnectionIDs.filter { $0.side == side && $0.destination == destination }.map(\.id))
    }

    /// The client probes the direct path with an ID it never used on the relayed path, keeps it when it
    /// migrates there, and the server answers the probes with an ID of its own for that path: an observer of
    /// both paths sees no ID in common, in either direction.
    @Test func probesAndMigrationUseFreshIDsOnBothSides() throws {
        var pair = try MigrationTests.relayedPair()
        pair.recordsShortHeaderConnectionIDs = true
        let direct = pair.serverAddress
        _ = try pair.withClient { connection, now in try connection.probePath(direct, now: now) }
        let validated = pair.drive(until: { $0.clientConnection?.isPathValidated(direct) == true }, maxTime: .seconds(2))
        #expect(validated)
        _ = try pair.withClient { connection, now in try connection.migrate(to: direct, now: now) }
        var transfer = BidirectionalTransfer(bytes: 200_000)
        let done = pair.drive(until: { pair in
            transfer.pump(&pair)
            return transfer.finished
        }, maxTime: .seconds(30))
        #expect(done)
        #expect(transfer.intact)
        #expect(pair.serverConnection?.activePath == pair.clientAddress)

        let clientRelayIDs = Self.ids(pair, from: .client, to: clientRelay)
        let clientDirectIDs = Self.ids(pair, from: .client, to: direct)
        let serverRelayIDs = Self.ids(pair, from: .server, to: serverRelay)
        let serverDirectIDs = Self.ids(pair, from: .server, to: pair.clientAddress)
        #expect(!clientRelayIDs.isEmpty && !clientDirectIDs.isEmpty)
        #expect(!serverRelayIDs.isEmpty && !serverDirectIDs.isEmpty)
        #expect(clientRelayIDs.isDisjoint(with: clientDirectIDs))
        #expect(serverRelayIDs.isDisjoint(with: serverDirectIDs))
        // One ID per path and direction: the probe's ID is the one the migrated connection keeps.
        #expect(clientDirectIDs.count == 1)
        #expect(serverDirectIDs.count == 1)
    }

    /// Server-side probing (hole punching, DESIGN.md §6) also uses an ID of its own for the probed address.
    @Test func serverProbesUseAnIDOfTheirOwn() throws {
        var pair = try MigrationTests.relayedPair()
        pair.recordsShortHeaderConnectionIDs = true
        let clientAddress = pair.clientAddress
        _ = try pair.withServer { connection, now in try connection.probePath(clientAddress, now: now) }
        let validated = pair.drive(until: { $0.serverConnection?.isPathValidated($0.clientAddress) == true },
                                   maxTime: .seconds(2))
        #expect(validated)
        // Traffic on the relayed path after the probe.
        _ = pair.transferClientToServer(QUICPair.pattern(50_000))
        let relayIDs = Self.ids(pair, from: .server, to: serverRelay)
        let probeIDs = Self.ids(pair, from: .server, to: pair.clientAddress)
        #expect(probeIDs.count == 1)
        #expect(!relayIDs.isEmpty)
        #expect(relayIDs.isDisjoint(with: probeIDs))
        // The client answered on the direct path with a fresh ID too.
        let clientProbeIDs = Self.ids(pair, from: .client, to: pair.serverAddress)
        #expect(clientProbeIDs.count == 1)
        #expect(clientProbeIDs.isDisjoint(with: Self.ids(pair, from: .client, to: clientRelay)))
    }

    /// A peer probing from many addresses cannot make the connection track them all: candidates are bounded
    /// and the spare IDs they took are retired, so NEW_CONNECTION_ID keeps supplying fresh ones.
    @Test func candidatePathsAreBounded() throws {
        var pair = try MigrationTests.relayedPair()
        for port in 0..<40 {
            let address = PathAddress.udp(try SocketAddress(ipAddress: "198.51.100.9", port: 20000 + port))
            pair.clientRoutes[address] = pair.clientAddress
            _ = try pair.withClient { connection, now in try connection.probePath(address, now: now) }
            pair.advance(to: pair.now + .milliseconds(5))
        }
        pair.advance(to: pair.now + .seconds(3))
        let established = pair.bothEstablished
        #expect(established)
        #expect((pair.clientConnection?.otherPaths.count ?? 0) <= 16)
        #expect((pair.serverConnection?.otherPaths.count ?? 0) <= 16)
        let intact = pair.transferClientToServer(QUICPair.pattern(100_000)) == QUICPair.pattern(100_000)
        #expect(intact)
    }
}

@Suite("Round-trip time per path (RFC 9000 §8.2, §9.4)")
struct PathRTTTests {
    /// The probe measures the direct path's round trip; migrating there starts from that measurement instead
    /// of the 333 ms initial RTT, and the relayed path keeps its own estimate for the way back.
    @Test func validationMeasuresThePathAndSeedsTheEstimator() throws {
        var pair = try QUICPair(latency: .milliseconds(15), seed: 41)
        let clientRelay = PathAddress.relayed(RelayRoute(1))
        let serverRelay = PathAddress.relayed(RelayRoute(2))
        pair.clientRoutes[clientRelay] = serverRelay
        pair.serverRoutes[serverRelay] = clientRelay
        try pair.connect(via: clientRelay)
        _ = pair.drive(until: { $0.bothEstablished && $0.clientConnection?.isHandshakeConfirmed == true },
                       maxTime: .seconds(5))
        let direct = pair.serverAddress
        #expect(pair.clientConnection?.pathRTT(direct) == nil)
        _ = try pair.withClient { connection, now in try connection.probePath(direct, now: now) }
        _ = pair.drive(until: { $0.clientConnection?.isPathValidated(direct) == true }, maxTime: .seconds(2))
        // 15 ms each way, answered at once.
        #expect(pair.clientConnection?.pathRTT(direct) == .milliseconds(30))
        let relayedRTT = try #require(pair.clientConnection?.pathRTT(clientRelay))
        _ = try pair.withClient { connection, now in try connection.migrate(to: direct, now: now) }
        #expect(pair.clientConnection?.pathRTT(direct) == .milliseconds(30))
        #expect(pair.clientConnection?.pathRTT(clientRelay) == relayedRTT)
    }
}
