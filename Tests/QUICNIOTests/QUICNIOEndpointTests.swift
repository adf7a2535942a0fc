import NIOCore
import QUICCore
import QUICNIO
import Synchronization
import Testing

/// Counts the packets a test relay carried.
final class RelayCounter: Sendable {
    private let counts = Mutex<[RelayRoute: Int]>([:])
    func record(_ route: RelayRoute) { counts.withLock { $0[route, default: 0] += 1 } }
    func count(_ route: RelayRoute) -> Int { counts.withLock { $0[route] ?? 0 } }
}

/// Links two endpoints through an in-memory "relay": the client's transmits to its relayed path arrive at the
/// server from the server's relayed path to the client, and back (DESIGN.md §1). Each side names the relayed
/// path with its own route handle; `carried` counts what went through, per route.
func linkThroughInMemoryRelay(client: QUICNIOEndpoint, server: QUICNIOEndpoint)
    -> (toServer: RelayRoute, toClient: RelayRoute, carried: RelayCounter) {
    let toServer = RelayRoute(7)
    let toClient = RelayRoute(9)
    let carried = RelayCounter()
    client.relayedTransmitHandler = { route, bytes in
        carried.record(route)
        if route == toServer { server.receiveRelayed(bytes, route: toClient) }
    }
    server.relayedTransmitHandler = { route, bytes in
        carried.record(route)
        if route == toClient { client.receiveRelayed(bytes, route: toServer) }
    }
    return (toServer, toClient, carried)
}

@Suite("QUICNIOEndpoint")
struct QUICNIOEndpointTests {
    /// Two endpoints whose only link is an in-memory "relay": the client's transmits to its relayed path are
    /// fed to the server as arriving from the server's relayed path to the client, and back (DESIGN.md §1).
    @Test func handshakeAndStreamEchoOverARelayedPath() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let serverEndpoint = try await QUICNIOEndpoint.bind(configuration: try setup.serverEndpointConfiguration())
        let clientEndpoint = try await QUICNIOEndpoint.bind()
        let (toServer, toClient, carried) = linkThroughInMemoryRelay(client: clientEndpoint, server: serverEndpoint)
        let echoing = Task {
            await withDiscardingTaskGroup { group in
                for await connection in serverEndpoint.incomingConnections {
                    group.addTask { await connection.runEcho() }
                }
            }
        }
        let configuration = try setup.clientConfiguration()
        let payload = testBytes(count: 200_000, seed: 5)
        try await withTimeout {
            let connection = try await clientEndpoint.connect(to: .relayed(toServer), serverName: "localhost",
                                                              configuration: configuration)
            #expect(connection.negotiatedALPN == testALPN)
            #expect(await connection.remoteAddress == .relayed(toServer))
            let stream = try await connection.openStream()
            let reader = Task { try await stream.readAll() }
            try await stream.write(payload, finish: true)
            #expect(try await reader.value == payload)
            try await connection.send(datagram: [1, 2, 3])
            var datagrams = connection.datagrams.makeAsyncIterator()
            #expect(await datagrams.next() == [1, 2, 3])
            await connection.close()
        }
        // Every packet went through the relay hooks, in both directions, and only on the routes in use.
        #expect(carried.count(toServer) > 10)
        #expect(carried.count(toClient) > 10)
        await clientEndpoint.close()
        await serverEndpoint.close()
        await echoing.value
    }

    /// One endpoint serves and connects at the same time (DESIGN.md §1: one socket per node).
    @Test func oneEndpointAcceptsAndConnects() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let first = try await QUICNIOEndpoint.bind(configuration: try setup.serverEndpointConfiguration())
        let second = try await QUICNIOEndpoint.bind(configuration: try setup.serverEndpointConfiguration())
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            async let acceptedBySecond = second.incomingConnections.first { _ in true }
            async let acceptedByFirst = first.incomingConnections.first { _ in true }
            let outbound = try await first.connect(to: second.localAddress, serverName: "localhost",
                                                   configuration: configuration)
            let inbound = try await second.connect(to: first.localAddress, serverName: "localhost",
                                                   configuration: configuration)
            #expect(await acceptedBySecond != nil)
            #expect(await acceptedByFirst != nil)
            #expect(await first.connectionCount == 2)
            await outbound.close()
            await inbound.close()
        }
        await first.close()
        await second.close()
    }

    @Test func statisticsCountConnectionsAccepted() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            for _ in 0..<3 {
                let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                              configuration: configuration)
                await connection.close()
            }
        }
        #expect(await server.statistics.connectionsAccepted == 3)
        #expect(await server.statistics.retriesSent == 0)
        await server.close()
    }

    @Test func segmentationOffloadStaysOnWhereTheKernelSupportsIt() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            let stream = try await connection.openStream()
            let reader = Task { try await stream.readAll() }
            try await stream.write(testBytes(count: 300_000), finish: true)
            #expect(try await reader.value.count == 300_000)
            await connection.close()
        }
        // Runs of full-sized packets were written as GSO batches without the kernel refusing one.
        #expect(await server.endpoint.usesSegmentationOffload == System.supportsUDPSegmentationOffload)
        await server.close()
    }
}
