import NIOCore
import QUICCore
import Testing
import ZTNAConfig
import ZTNAProtocol
@testable import ZTNARuntime

/// Backpressure end to end (DESIGN.md §4: "stream flow control is the backpressure"): a backend that never
/// reads makes the whole chain stop — the connector's socket, its stream reads, QUIC flow control, the agent's
/// stream writes, the local socket — without anyone buffering more than one chunk per direction.
@Suite("Tunnel backpressure", .timeLimit(.minutes(1)))
struct TunnelBackpressureTests {
    @Test func aBackendThatDoesNotReadHoldsTheWriterBackWithBoundedBuffers() async throws {
        let backend = try await TunnelTestTCPBackend.start(reading: false)
        let service = ConnectorService(id: try tunnelServiceID("app"), ports: [
            ServicePort(port: 80, protocol: .tcp, backend: HostPort(host: "127.0.0.1", port: UInt16(backend.address.port ?? 0))),
        ])
        // Small QUIC windows so that the chain is full well before 8 MiB: what the kernel buffers towards the
        // backend (≤ tcp_wmem max, 4 MiB) plus a 256 KiB stream window and a 256 KiB send buffer.
        let tunnel = try await TunnelHarness.start(
            service: service,
            configureServer: { $0.initialMaxStreamData = 256 << 10; $0.maxStreamWindow = 256 << 10 },
            configureClient: { $0.streamSendBufferLimit = 256 << 10 })
        let (forwarder, local) = try await tunnel.forwarder(port: 80)
        var accepted = backend.connections.makeAsyncIterator()
        let total = 8 << 20
        let payload = tunnelTestBytes(count: total)
        let bound = 2 * TunnelStreamSplice.chunkSize

        let client = try await TunnelTestTCPClient.connect(to: local)
        let writer = Task { try await client.write(payload) }
        let connection = try #require(await accepted.next())

        // The state where everything is stuck: the connector waits for the backend's socket, the agent waits
        // for the stream (QUIC flow control is exhausted).
        try await tunnelWaitUntil("the chain is full") {
            tunnel.connectorCounters.socketWritesWaiting == 1 && tunnel.agentCounters.streamWritesWaiting == 1
        }
        #expect(connection.received == 0)
        #expect(tunnel.connectorCounters.bytesUp < UInt64(total))
        #expect(tunnel.agentCounters.bytesUp < UInt64(total))
        #expect(tunnel.connectorCounters.bytesInFlight <= TunnelStreamSplice.chunkSize)
        #expect(tunnel.agentCounters.bytesInFlight <= TunnelStreamSplice.chunkSize)
        #expect(tunnel.connectorCounters.peakBytesInFlight <= bound)
        #expect(tunnel.agentCounters.peakBytesInFlight <= bound)

        // The backend reads: all 8 MiB arrive, byte-exact, and the splices never held more than their bound.
        connection.startReading()
        try await writer.value
        try await tunnelWaitUntil("the backend received everything") { connection.received == total }
        #expect(connection.mismatches == 0)
        #expect(tunnel.connectorCounters.peakBytesInFlight <= bound)
        #expect(tunnel.agentCounters.peakBytesInFlight <= bound)
        #expect(tunnel.connectorCounters.bytesUp == UInt64(total))

        await client.close()
        await forwarder.close()
        await tunnel.stop()
        await backend.close()
    }
}
