import NIOCore
import QUICCore
import QUICNIO
import Testing
import ZTNAConfig
import ZTNAProtocol
@testable import ZTNARuntime

/// The connector's status byte for each way a TCP connect can fail (DESIGN.md §4), as both ends count it, and
/// what the agent does with it: the local connection is reset.
@Suite("Tunnel TCP connect status", .timeLimit(.minutes(1)))
struct TunnelConnectStatusTests {
    /// Connects a local client to a forward of `port` on `service` and returns how its input ended.
    private func connectThroughForward(_ tunnel: TunnelHarness, port: UInt16) async throws -> (bytes: [UInt8], end: TunnelTestSocketEnd) {
        let (forwarder, local) = try await tunnel.forwarder(port: port)
        let result = try await TunnelTestTCPClient.connectAndReadToEnd(local)
        await forwarder.close()
        return result
    }

    /// Reads `stream` to its end; the RESET_STREAM code that ended it, nil when it ended otherwise.
    private func resetCode(of stream: QUICNIOStream) async -> UInt64? {
        do throws(QUICNIOError) {
            while try await stream.read() != nil {}
            return nil
        } catch {
            guard case .stream(.reset(errorCode: let code)) = error else { return nil }
            return code
        }
    }

    @Test func portNotOfferedIsAnswered03AndTheLocalSocketReset() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: 0)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))
        // 81 is not offered at all; 7 is offered, but as UDP only.
        for port: UInt16 in [81, 7] {
            let (bytes, end) = try await connectThroughForward(tunnel, port: port)
            #expect(bytes.isEmpty)
            #expect(end == .reset)
        }
        #expect(tunnel.agentCounters.tcpStreams(.portNotOffered) == 2)
        #expect(tunnel.connectorCounters.tcpStreams(.portNotOffered) == 2)
        #expect(tunnel.connectorCounters.tcpStreams(.connected) == 0)
        await tunnel.stop()
        await backend.close()
    }

    @Test func closedBackendPortIsAnswered01() async throws {
        let port = try await tunnelClosedTCPPort()
        let service = ConnectorService(id: try tunnelServiceID("app"), ports: [
            ServicePort(port: 80, protocol: .tcp, backend: HostPort(host: "127.0.0.1", port: port)),
        ])
        let tunnel = try await TunnelHarness.start(service: service)
        let (bytes, end) = try await connectThroughForward(tunnel, port: 80)
        #expect(bytes.isEmpty)
        #expect(end == .reset)
        #expect(tunnel.agentCounters.tcpStreams(.refused) == 1)
        #expect(tunnel.connectorCounters.tcpStreams(.refused) == 1)
        await tunnel.stop()
    }

    @Test func unresolvableBackendIsAnswered02() async throws {
        let service = ConnectorService(id: try tunnelServiceID("app"), ports: [
            // RFC 6761 §6.4: `.invalid` never resolves.
            ServicePort(port: 80, protocol: .tcp, backend: HostPort(host: "nonexistent.invalid", port: 80)),
        ])
        let tunnel = try await TunnelHarness.start(service: service)
        let (bytes, end) = try await connectThroughForward(tunnel, port: 80)
        #expect(bytes.isEmpty)
        #expect(end == .reset)
        #expect(tunnel.agentCounters.tcpStreams(.unreachable) == 1)
        #expect(tunnel.connectorCounters.tcpStreams(.unreachable) == 1)
        await tunnel.stop()
    }

    /// Above `maxStreamsPerTunnel` live flows the answer is 04; a slot freed is usable again.
    @Test func streamsAboveTheLimitAreAnswered04() async throws {
        let backend = try await EchoBackend.start(udpPort: nil, tcpPort: 0)
        var limits = TunnelLimits()
        limits.maxStreamsPerTunnel = 1
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend), limits: limits)
        let (forwarder, local) = try await tunnel.forwarder(port: 80)

        let first = try await TunnelTestTCPClient.connect(to: local)
        var firstReader = first.reader()
        try await first.write([1, 2, 3])
        #expect(await firstReader.read(count: 3) == [1, 2, 3])   // spliced: the slot is taken

        let (bytes, end) = try await TunnelTestTCPClient.connectAndReadToEnd(local)
        #expect(bytes.isEmpty)
        #expect(end == .reset)
        try await tunnelWaitUntil("the agent counted the status") { tunnel.agentCounters.tcpStreams(.busy) == 1 }
        #expect(tunnel.connectorCounters.tcpStreams(.busy) == 1)

        try await first.shutdownWrite()
        #expect(await firstReader.readToEnd().end == .eof)
        await first.close()
        try await tunnelWaitUntil("the first flow released its slot") { tunnel.connector.liveStreamCount == 0 }

        let third = try await TunnelTestTCPClient.connect(to: local)
        var thirdReader = third.reader()
        try await third.write([4, 5])
        #expect(await thirdReader.read(count: 2) == [4, 5])
        await third.close()

        await forwarder.close()
        await tunnel.stop()
        await backend.close()
    }

    /// A stream that does not start with `01 port(2)` is reset and counted; the tunnel keeps serving.
    @Test func malformedRequestIsResetAndCounted() async throws {
        let backend = try await EchoBackend.start(udpPort: nil, tcpPort: 0)
        let tunnel = try await TunnelHarness.start(service: try TunnelHarness.echoService(backend))

        let bad = try await tunnel.agent.openStream()
        try await bad.write([0x7F, 0x00, 0x50])
        #expect(await resetCode(of: bad) == TunnelErrorCode.malformedRequest)
        #expect(tunnel.connectorCounters.drops(.malformedRequest) == 1)

        let truncated = try await tunnel.agent.openStream()
        try await truncated.write([0x01], finish: true)
        #expect(await resetCode(of: truncated) == TunnelErrorCode.malformedRequest)
        #expect(tunnel.connectorCounters.drops(.malformedRequest) == 2)

        // A well-formed request on the same tunnel still connects.
        let good = try await tunnel.agent.openStream()
        try await good.write(TCPConnectRequest(port: 80).bytes + [42], finish: true)
        var answer: [UInt8] = []
        while let chunk = try await good.read() { answer += chunk }
        #expect(answer == [TCPConnectStatus.connected.rawValue, 42])

        await tunnel.stop()
        await backend.close()
    }
}
