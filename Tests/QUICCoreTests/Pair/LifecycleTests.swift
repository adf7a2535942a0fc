import NIOCore
import QUICCore
import QUICWire
import Testing
import ZTNASimulation

@Suite("Flow control, idle timeout, close, Retry, version negotiation")
struct LifecycleTests {
    @Test func flowControlBlocksAndUnblocks() throws {
        var pair = try QUICPair(configureServer: {
            $0.initialMaxStreamData = 16 * 1024
            $0.maxStreamWindow = 16 * 1024
        })
        #expect(try pair.establish())
        let data = QUICPair.pattern(100 * 1024)
        let opened = pair.withClient { connection, _ in try? connection.openStream() } ?? nil
        let stream = try #require(opened)
        let accepted = pair.withClient { connection, _ in try? connection.write(data, to: stream, fin: true) } ?? nil
        #expect(accepted == data.count)
        pair.advance(to: pair.now + .seconds(2))
        // The server has not read: the client may have sent at most the 16 KiB window.
        let buffered = pair.serverEvents.filter { $0 == .streamReadable(stream) }.count
        #expect(buffered == 1)
        let partial = pair.withServer { connection, now in try? connection.read(from: stream, maxBytes: .max, now: now) } ?? nil
        #expect(partial?.bytes.count == 16 * 1024)
        #expect(partial?.fin == false)
        var received = partial?.bytes ?? []
        var finished = false
        let done = pair.drive(until: { pair in
            if let chunk = pair.withServer({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
                received += chunk.bytes
                finished = finished || chunk.fin
            }
            return finished
        }, maxTime: .seconds(30))
        #expect(done)
        let intact = received == data
        #expect(intact)
    }

    @Test func idleTimeoutClosesBothSides() throws {
        var pair = try QUICPair(configureClient: { $0.maxIdleTimeout = .seconds(5) },
                                configureServer: { $0.maxIdleTimeout = .seconds(5) })
        #expect(try pair.establish())
        let established = pair.now
        pair.advance(to: established + .seconds(4))
        #expect(pair.clientConnection?.isEstablished == true)
        pair.advance(to: established + .seconds(6))
        #expect(pair.clientEvents.last == .closed(.idleTimeout))
        #expect(pair.serverEvents.last == .closed(.idleTimeout))
        #expect(pair.client.connectionCount == 0)
        #expect(pair.server.connectionCount == 0)
        // The connection is forgotten as it reports `.closed`: its statistics are kept for the shell, once.
        let handle = try #require(pair.clientHandle)
        let kept = pair.client.takeFinalStatistics(handle)
        let statistics = try #require(kept)
        #expect(statistics.packetsSent > 0)
        #expect(statistics.packetsReceived > 0)
        #expect(pair.client.takeFinalStatistics(handle) == nil)
    }

    /// Connections live in heap slots inside the endpoint (changed in place); a copy of an endpoint must still
    /// be independent: changing one copy's connection leaves the other's as it was (copy-on-write).
    @Test func endpointCopiesDoNotShareConnections() throws {
        var pair = try QUICPair()
        #expect(try pair.establish())
        let handle = try #require(pair.clientHandle)
        var copy = pair.client
        _ = copy.withConnection(handle) { $0.close(errorCode: 7, reason: "copy", now: pair.now) }
        #expect(copy.connection(handle)?.isEstablished == false)
        #expect(pair.client.connection(handle)?.isEstablished == true)
        // And the other way round: the original changes, the copy keeps its own closing connection.
        _ = pair.client.withConnection(handle) { $0.close(errorCode: 9, reason: "original", now: pair.now) }
        #expect(copy.connection(handle)?.closedReason
                == .local(QUICCloseError(isApplicationError: true, code: 7, reason: "copy")))
    }

    @Test func keepAliveKeepsAnIdleConnectionOpen() throws {
        var pair = try QUICPair(configureClient: {
            $0.maxIdleTimeout = .seconds(5)
            $0.keepAliveInterval = .seconds(2)
        }, configureServer: { $0.maxIdleTimeout = .seconds(5) })
        #expect(try pair.establish())
        pair.advance(to: pair.now + .seconds(30))
        #expect(pair.clientConnection?.isEstablished == true)
        #expect(pair.serverConnection?.isEstablished == true)
    }

    @Test func applicationCloseReachesThePeerAndBothDrain() throws {
        var pair = try QUICPair()
        #expect(try pair.establish())
        pair.withClient { connection, now in connection.close(errorCode: 42, reason: "bye", now: now) }
        pair.advance(to: pair.now + .milliseconds(50))
        let expected = QUICCloseError(isApplicationError: true, code: 42, reason: "bye")
        #expect(pair.clientEvents.last == .closed(.local(expected)))
        #expect(pair.serverEvents.last == .closed(.peer(expected)))
        pair.advance(to: pair.now + .seconds(5))
        #expect(pair.client.connectionCount == 0)
        #expect(pair.server.connectionCount == 0)
    }

    @Test func retryValidatesTheAddressBeforeTheHandshake() throws {
        var pair = try QUICPair(configureServerEndpoint: { $0.retry = .always })
        #expect(try pair.establish())
        // The post-quantum ClientHello spans two datagrams; each token-less one is answered with a Retry.
        #expect(pair.server.statistics.retriesSent >= 1)
        #expect(pair.server.statistics.retryTokensValidated == 1)
        let data = QUICPair.pattern(50_000)
        let intact = pair.transferClientToServer(data) == data
        #expect(intact)
    }

    @Test func serverAnswersAnUnknownVersionWithVersionNegotiation() throws {
        var pair = try QUICPair()
        var datagram: [UInt8] = [0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8]
        datagram += [1, 2, 3, 4, 5, 6, 7, 8, 4, 9, 9, 9, 9]
        datagram += [UInt8](repeating: 0, count: 1200 - datagram.count)
        pair.server.handle(datagram: datagram, from: pair.clientAddress, now: pair.now)
        let polled = pair.server.pollTransmit(now: pair.now)
        let transmit = try #require(polled)
        let header = try PacketHeader.parse(datagram: transmit.payload, at: 0, shortHeaderConnectionIDLength: 8)
        #expect(header.form == .versionNegotiation(supportedVersions: [QUICVersion.v1]))
        #expect(header.destinationConnectionID.bytes == [9, 9, 9, 9])
        #expect(header.sourceConnectionID.bytes == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(pair.server.connectionCount == 0)
    }

    @Test func statelessResetAfterTheServerForgetsTheConnection() throws {
        var pair = try QUICPair(configureServerEndpoint: { $0.statelessResetKey = [UInt8](repeating: 5, count: 32) })
        #expect(try pair.establish())
        pair.advance(to: pair.now + .milliseconds(100))
        pair.restartServer()                         // all connection state lost, same reset key
        let opened = pair.withClient { connection, _ in try? connection.openStream() } ?? nil
        let stream = try #require(opened)
        _ = pair.withClient { connection, _ in try? connection.write([1, 2, 3], to: stream) }
        pair.advance(to: pair.now + .milliseconds(100))
        #expect(pair.server.statistics.statelessResetsSent >= 1)
        #expect(pair.clientEvents.last == .closed(.statelessReset))
    }
}
