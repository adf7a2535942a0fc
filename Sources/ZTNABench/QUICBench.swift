import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
public import QUICCore
public import QUICNIO
public import QUICTLS
public import QUICTestFixtures

/// QUIC measurements on loopback with our engine: handshake time, DATAGRAM echo RTT, one-way DATAGRAM
/// rate, single-stream bulk throughput. Client and server run in this process on `group`.
public struct QUICBench: Sendable {
    public let certificates: TestCertificates.Files
    public let group: any EventLoopGroup
    /// UDP payload size for both sides: a 1200-byte DATAGRAM needs more than the 1200-byte default.
    public var maxUDPPayloadSize = 1452

    public init(group: any EventLoopGroup) throws {
        // The bench talks to itself on loopback; the fixed test certificates secure nothing else.
        certificates = try TestCertificates.writeToTemporaryDirectory()
        self.group = group
    }

    // MARK: - Configurations

    func serverConfiguration(groups: [String]? = nil) throws -> QUICEndpointConfiguration {
        var tls = TLSConfiguration(role: .server, alpn: ["ztna-bench"])
        tls.keyExchangeGroups = groups
        tls.certificateChainFile = certificates.serverCertificate
        tls.privateKeyFile = certificates.serverPrivateKey
        var configuration = QUICConfiguration(tls: try TLSContext(configuration: tls))
        configuration.maxUDPPayloadSize = maxUDPPayloadSize
        configuration.initialMaxData = 16 << 20
        configuration.initialMaxStreamData = 16 << 20
        return QUICEndpointConfiguration(server: configuration)
    }

    func clientConfiguration(groups: [String]? = nil) throws -> QUICConfiguration {
        var tls = TLSConfiguration(role: .client, alpn: ["ztna-bench"])
        tls.keyExchangeGroups = groups
        tls.trustRootsFile = certificates.caCertificate
        var configuration = QUICConfiguration(tls: try TLSContext(configuration: tls))
        configuration.maxUDPPayloadSize = maxUDPPayloadSize
        configuration.streamSendBufferLimit = 8 << 20
        return configuration
    }

    /// A server whose connections run `service` until they close.
    func startServer(groups: [String]? = nil,
                     _ service: @escaping @Sendable (QUICNIOConnection) async -> Void) async throws -> QUICServer {
        let server = try await QUICServer.bind(host: "127.0.0.1", port: 0,
                                               configuration: try serverConfiguration(groups: groups), group: group)
        Task {
            await withDiscardingTaskGroup { connections in
                for await connection in server.connections {
                    connections.addTask { await service(connection) }
                }
            }
        }
        return server
    }

    // MARK: - Measurements

    /// Milliseconds per handshake (client start to established), `count` sequential connections from one
    /// client endpoint. `groups` restricts the key exchange (nil: X25519MLKEM768 first, the default).
    public func handshakes(count: Int, groups: [String]? = nil) async throws -> [Double] {
        let server = try await startServer(groups: groups) { connection in await connection.runDiscard() }
        let client = try await QUICNIOEndpoint.bind(host: "127.0.0.1", port: 0, group: group)
        let configuration = try clientConfiguration(groups: groups)
        var samples: [Double] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            let connection = try await client.connect(to: server.localAddress, serverName: "localhost",
                                                      configuration: configuration)
            samples.append(Self.milliseconds(ContinuousClock.now - start))
            await connection.close()
        }
        await client.close()
        await server.close()
        return samples
    }

    /// Microseconds per DATAGRAM echo round trip.
    public func datagramEchoRTT(count: Int, size: Int) async throws -> [Double] {
        let server = try await startServer { connection in await connection.runEcho() }
        let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                      configuration: try clientConfiguration(), group: group)
        var iterator = connection.datagrams.makeAsyncIterator()
        let payload = [UInt8](repeating: 0x5a, count: size)
        var samples: [Double] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            try await connection.send(datagram: payload)
            guard await iterator.next() != nil else { break }
            samples.append(Self.milliseconds(ContinuousClock.now - start) * 1000)
        }
        await connection.close()
        await server.close()
        return samples
    }

    /// DATAGRAMs per second delivered one way for `seconds` of sending as fast as the connection accepts.
    public func datagramsOneWay(size: Int, seconds: Double) async throws
        -> (sent: Int, received: Int, elapsed: Double, cpu: Double) {
        let received = NIOLockedValueBox(0)
        let server = try await startServer { connection in
            for await _ in connection.datagrams { received.withLockedValue { $0 += 1 } }
        }
        let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                      configuration: try clientConfiguration(), group: group)
        // Batches of 32 per call, as the UDP baseline writes 32 datagrams per flush.
        let batch = [[UInt8]](repeating: [UInt8](repeating: 0x3c, count: size), count: 32)
        let clock = BenchClock()
        var sent = 0
        while clock.elapsedSeconds < seconds {
            do {
                try await connection.send(datagrams: batch)
            } catch {
                throw QUICBenchError.connectionLost(phase: "one-way \(size)-byte DATAGRAMs", after: sent,
                                                    reason: "\(await connection.closed); \(await connection.statistics)")
            }
            sent += batch.count
        }
        let elapsed = clock.elapsedSeconds
        try? await Task.sleep(for: .milliseconds(200))
        let cpu = clock.cpuSeconds
        await connection.close()
        await server.close()
        return (sent, received.withLockedValue { $0 }, elapsed, cpu)
    }

    /// Bytes per second through one stream (`bytes` sent, measured until the server read them all).
    public func streamThroughput(bytes: Int) async throws -> (bytes: Int, elapsed: Double, cpu: Double) {
        let done = NIOLockedValueBox<CheckedContinuation<Int, Never>?>(nil)
        let server = try await startServer { connection in
            for await stream in connection.incomingStreams {
                var total = 0
                while let chunk = try? await stream.read(maxBytes: 1 << 20) { total += chunk.count }
                done.withLockedValue { $0?.resume(returning: total); $0 = nil }
            }
        }
        let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                      configuration: try clientConfiguration(), group: group)
        let clock = BenchClock()
        let total = await withCheckedContinuation { continuation in
            done.withLockedValue { $0 = continuation }
            Task {
                let stream = try await connection.openStream()
                let chunk = [UInt8](repeating: 0x77, count: 256 << 10)
                var sent = 0
                while sent < bytes {
                    let piece = min(chunk.count, bytes - sent)
                    try await stream.write(piece == chunk.count ? chunk : Array(chunk.prefix(piece)))
                    sent += piece
                }
                try await stream.finish()
            }
        }
        let result = (total, clock.elapsedSeconds, clock.cpuSeconds)
        await connection.close()
        await server.close()
        return result
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}

/// Why a QUIC benchmark phase stopped early.
public enum QUICBenchError: Error, CustomStringConvertible {
    case connectionLost(phase: String, after: Int, reason: String)

    public var description: String {
        switch self {
        case .connectionLost(let phase, let after, let reason):
            "\(phase): the connection closed after \(after) datagrams were queued (\(reason))"
        }
    }
}
