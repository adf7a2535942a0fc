import NIOCore
import QUICNIO
import Testing
import ZTNAConfig
import ZTNAProtocol
@testable import ZTNARuntime

/// TCP through a `PortForwarder` and a `ConnectorTunnel` over a real loopback tunnel, with `EchoBackend` as
/// the application (DESIGN.md §4: TCP flows ride on QUIC streams).
@Suite("Tunnel TCP forwarding", .timeLimit(.minutes(1)))
struct TunnelTCPForwardTests {
    /// 1 MiB written while reading, then our FIN: everything comes back byte-exact, then the FIN.
    @Test func oneMebibyteIsEchoedByteExact() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: 0)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        let (forwarder, local) = try await tunnel.forwarder(port: 80)
        let payload = tunnelTestBytes(count: 1 << 20)

        let client = try await TunnelTestTCPClient.connect(to: local)
        var reader = client.reader()
        let writer = Task {
            for start in stride(from: 0, to: payload.count, by: 50_000) {
                try await client.write(Array(payload[start..<min(start + 50_000, payload.count)]))
            }
            try await client.shutdownWrite()
        }
        let (received, end) = await reader.readToEnd()
        try await writer.value
        #expect(received.count == payload.count)
        #expect(received == payload)
        #expect(end == .eof)
        #expect(tunnel.agentCounters.tcpStreams(.connected) == 1)
        #expect(tunnel.connectorCounters.tcpStreams(.connected) == 1)
        try await tunnelWaitUntil("connector counted every byte both ways") {
            tunnel.connectorCounters.bytesUp == UInt64(payload.count)
                && tunnel.connectorCounters.bytesDown == UInt64(payload.count)
        }
        #expect(tunnel.agentCounters.bytesUp == UInt64(payload.count))
        #expect(tunnel.agentCounters.bytesDown == UInt64(payload.count))

        await client.close()
        await forwarder.close()
        await tunnel.stop()
        await backend.close()
    }

    /// Half-close: the client shuts its write side first and still receives everything it sent, then the
    /// server's FIN (stream FIN ↔ TCP FIN at both ends).
    @Test func halfCloseStillReceivesTheRest() async throws {
        let backend = try await EchoBackend.start(udpPort: nil, tcpPort: 0)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        let (forwarder, local) = try await tunnel.forwarder(port: 80)
        let payload = tunnelTestBytes(count: 300_000, seed: 5)

        let client = try await TunnelTestTCPClient.connect(to: local)
        var reader = client.reader()
        try await client.write(payload)
        try await client.shutdownWrite()   // nothing read yet: all 300 kB are still on their way back
        let (received, end) = await reader.readToEnd()
        #expect(received == payload)
        #expect(end == .eof)

        await client.close()
        await forwarder.close()
        await tunnel.stop()
        await backend.close()
    }

    /// Several connections at once on one tunnel, each its own stream, none mixed up.
    @Test func concurrentConnectionsStayApart() async throws {
        let backend = try await EchoBackend.start(udpPort: nil, tcpPort: 0)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        let (forwarder, local) = try await tunnel.forwarder(port: 80)
        let count = 8

        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<count {
                group.addTask {
                    let payload = tunnelTestBytes(count: 100_000 + index * 1_000, seed: index * 7_919)
                    let client = try await TunnelTestTCPClient.connect(to: local)
                    var reader = client.reader()
                    async let written: Void = {
                        try await client.write(payload)
                        try await client.shutdownWrite()
                    }()
                    let (received, end) = await reader.readToEnd()
                    try await written
                    await client.close()
                    return received == payload && end == .eof
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == count)
        #expect(results.allSatisfy { $0 })
        #expect(tunnel.connectorCounters.tcpStreams(.connected) == UInt64(count))

        await forwarder.close()
        await tunnel.stop()
        await backend.close()
    }

    /// A local client that resets its connection: the connector resets the backend connection (RST, not
    /// FIN), through RESET_STREAM/STOP_SENDING.
    @Test func clientResetReachesTheBackendAsReset() async throws {
        let backend = try await TunnelTestTCPBackend.start(reading: true)
        let service = ConnectorService(id: try tunnelServiceID("app"), ports: [
            ServicePort(port: 80, protocol: .tcp, backend: HostPort(host: "127.0.0.1", port: UInt16(backend.address.port ?? 0))),
        ])
        let tunnel = try await TunnelHarness.start(service: service)
        let (forwarder, local) = try await tunnel.forwarder(port: 80)
        var accepted = backend.connections.makeAsyncIterator()

        let client = try await TunnelTestTCPClient.connect(to: local)
        try await client.write(tunnelTestBytes(count: 1_000))
        let connection = try #require(await accepted.next())
        try await tunnelWaitUntil("the backend received the bytes") { connection.received == 1_000 }
        #expect(connection.mismatches == 0)
        await client.reset()
        try await tunnelWaitUntil("the backend connection ended") { connection.end != nil }
        #expect(connection.end == .reset)

        await forwarder.close()
        await tunnel.stop()
        await backend.close()
    }

    /// A backend that resets its connection: the local client sees a reset, not a FIN.
    @Test func backendResetReachesTheClientAsReset() async throws {
        let backend = try await TunnelTestTCPBackend.start(reading: true)
        let service = ConnectorService(id: try tunnelServiceID("app"), ports: [
            ServicePort(port: 80, protocol: .tcp, backend: HostPort(host: "127.0.0.1", port: UInt16(backend.address.port ?? 0))),
        ])
        let tunnel = try await TunnelHarness.start(service: service)
        let (forwarder, local) = try await tunnel.forwarder(port: 80)
        var accepted = backend.connections.makeAsyncIterator()

        let client = try await TunnelTestTCPClient.connect(to: local)
        var reader = client.reader()
        try await client.write([1, 2, 3])
        let connection = try #require(await accepted.next())
        try await tunnelWaitUntil("the backend received the bytes") { connection.received == 3 }
        await tunnelResetChannel(connection.channel)
        let (bytes, end) = await reader.readToEnd()
        #expect(bytes.isEmpty)
        #expect(end == .reset)

        await client.close()
        await forwarder.close()
        await tunnel.stop()
        await backend.close()
    }

    /// Closing the tunnel connection: the connector's `run()` returns, and by then every backend socket of the
    /// tunnel is closed and nothing is held in flight.
    @Test func connectorRunReturnsAfterReleasingSockets() async throws {
        let backend = try await TunnelTestTCPBackend.start(reading: true)
        let service = ConnectorService(id: try tunnelServiceID("app"), ports: [
            ServicePort(port: 80, protocol: .tcp, backend: HostPort(host: "127.0.0.1", port: UInt16(backend.address.port ?? 0))),
        ])
        let tunnel = try await TunnelHarness.start(service: service)
        let (forwarder, local) = try await tunnel.forwarder(port: 80)
        var accepted = backend.connections.makeAsyncIterator()

        let client = try await TunnelTestTCPClient.connect(to: local)
        try await client.write([9])
        let connection = try #require(await accepted.next())
        try await tunnelWaitUntil("the backend received the byte") { connection.received == 1 }
        #expect(tunnel.connector.liveStreamCount == 1)

        await tunnel.agent.close()
        await tunnel.connectorRun.value
        #expect(tunnel.connector.liveStreamCount == 0)
        #expect(tunnel.connectorCounters.bytesInFlight == 0)
        try await tunnelWaitUntil("the backend connection ended") { connection.end != nil }
        #expect(connection.end == .reset)

        await client.close()
        await forwarder.close()
        await tunnel.stop()
        await backend.close()
    }
}
