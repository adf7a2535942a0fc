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
        var pair = try QUICPair(latency: .milliseconds(10), seed: 32)
        #expect(try pair.establish())
        // A little loss keeps the congestion window (and so the number of simulation steps) realistic.
        pair.toServer.lossRate = 0.01
        pair.toClient.lossRate = 0.01
        let rebound = PathAddress.udp(try SocketAddress(ipAddress: "192.0.2.1", port: 61000))
        let data = QUICPair.pattern(10 * 1024 * 1024, seed: 4)
        let stream = try #require(pair.withClient { connection, _ in try? connection.openStream() } ?? nil)
        var writer = StreamWriter(data: data, stream: stream, side: .client)
        var received: [UInt8] = []
        var finished = false
        var rebound_ = false
        var datagramsAfterRebinding = 0
        let done = pair.drive(until: { pair in
            writer.pump(&pair)
            if let result = pair.withServer({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
                received += result.bytes
                finished = finished || result.fin
            }
            if !rebound_ && received.count > 2_000_000 {
                // The client's NAT picks a new port: the old mapping is gone in both directions.
                pair.clientRoutes[pair.serverAddress] = rebound
                pair.serverRoutes[pair.clientAddress] = nil
                pair.serverRoutes[rebound] = pair.serverAddress
                rebound_ = true
            }
            if rebound_, datagramsAfterRebinding < 20 {
                if (pair.withClient { connection, _ in try? connection.sendDatagram([UInt8](repeating: 7, count: 100)) }) != nil {
                    datagramsAfterRebinding += 1
                }
            }
            return finished
        }, maxTime: .seconds(300))
        #expect(done)
        let intact = received == data
        #expect(intact)
        #expect(pair.serverEvents.contains(.peerAddressChanged(rebound)))
        #expect(pair.serverEvents.contains(.pathValidated(rebound)))
        #expect(pair.serverConnection?.activePath == rebound)
        let delivered = pair.serverEvents.filter { if case .datagram = $0 { return true } else { return false } }.count
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
