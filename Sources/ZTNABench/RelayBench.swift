public import NIOCore
public import ZTNAConfig
import NIOPosix
import QUICCore
import QUICNIO
import QUICTLS
import ZTNAIdentity
import ZTNAProtocol
import ZTNARuntime

/// `ztna bench relay` (DESIGN.md §12, issue 4): the relay daemon measured as a separate process, loaded by
/// this process's QUIC engine on loopback.
///
/// Every phase starts a fresh relay child (`RelayBenchChild`), so that its CPU time and memory belong to that
/// phase alone, and stops it before returning, whether the phase succeeded or not. The clients (agents and
/// connectors with certificates from a throwaway PKI) run on `group`.
///
/// Phases (each in its own file): forwarding rate and added latency (`RelayBench+Forwarding`), memory per
/// idle connection (`RelayBench+Idle`), handshakes accepted per second (`RelayBench+Handshakes`).
public struct RelayBench: Sendable {
    /// The `ztna` executable to run `ztna relay` from (this process's own, `/proc/self/exe`).
    public let executable: String
    public let group: any EventLoopGroup
    /// The relay's Retry policy (`--retry` of `ztna relay`).
    public let retry: RetryMode
    let deployment: ThrowawayDeployment
    let agentConfiguration: QUICConfiguration
    let connectorConfiguration: QUICConfiguration
    let service: ServiceID

    /// Clients send a PING every 10 s, as real agents and connectors do (DESIGN.md §3).
    static let keepAliveInterval = TimeAmount.seconds(10)

    /// Creates the PKI (CA, relay certificate, one agent and one connector certificate granted `bench`) in a
    /// temporary directory; `remove()` deletes it.
    public init(executable: String, group: any EventLoopGroup, retry: RetryMode = .auto) throws {
        guard let service = ServiceID("bench") else { throw RelayBenchError("invalid service id") }
        let deployment = try ThrowawayDeployment.create()
        RelayBenchCleanup.add(directory: deployment.directory)
        do {
            let agent = try deployment.issue(.agent, name: "bench-agent", services: .services([service]))
            let connector = try deployment.issue(.connector, name: "bench-connector", services: .services([service]))
            agentConfiguration = try Self.clientConfiguration(identity: agent, ca: deployment.caCertificate)
            connectorConfiguration = try Self.clientConfiguration(identity: connector, ca: deployment.caCertificate)
        } catch {
            Self.remove(deployment)
            throw error
        }
        self.executable = executable
        self.group = group
        self.retry = retry
        self.deployment = deployment
        self.service = service
    }

    /// Deletes the temporary PKI.
    public func remove() {
        Self.remove(deployment)
    }

    private static func remove(_ deployment: ThrowawayDeployment) {
        deployment.remove()
        RelayBenchCleanup.remove(directory: deployment.directory)
    }

    // MARK: - Client side

    /// A relay client's settings: mTLS with ALPN `ztna-v1`, the relay's CA as trust root, keepalive 10 s.
    static func clientConfiguration(
        identity: (certificate: String, privateKey: String), ca: String
    ) throws -> QUICConfiguration {
        var tls = TLSConfiguration(role: .client, alpn: [ZTNAALPN.relay])
        tls.certificateChainFile = identity.certificate
        tls.privateKeyFile = identity.privateKey
        tls.trustRootsFile = ca
        // What connectors and agents use: 1 452-byte packets, no streams, a keepalive.
        var configuration = RelayLink.quicConfiguration(tls: try TLSContext(configuration: tls))
        configuration.keepAliveInterval = keepAliveInterval
        return configuration
    }

    /// Socket options for client endpoints that carry little traffic (many idle connections per socket): small
    /// receive buffers instead of the default 64 × 64 KiB per socket.
    static var quietEndpointOptions: QUICNIOOptions {
        var options = QUICNIOOptions()
        options.vectorReadMessageCount = 8
        options.maxDatagramSize = 2_048
        options.socketReceiveBufferSize = 1 << 20
        options.socketSendBufferSize = 1 << 20
        options.drainTimeout = .milliseconds(500)
        return options
    }

    /// Loopback source addresses for client endpoints: 127.0.0.2 … 127.0.0.(1 + count). Spreading clients over
    /// addresses keeps them under the relay's per-address handshake limit, as real clients from many hosts are.
    static func sourceAddress(_ index: Int, of count: Int) -> String {
        "127.0.0.\(2 + index % max(1, min(count, 250)))"
    }

    /// Binds `count` client endpoints, each on a loop of `group` in turn.
    func bindEndpoints(count: Int, sources: Int, options: QUICNIOOptions) async throws -> [QUICNIOEndpoint] {
        var endpoints: [QUICNIOEndpoint] = []
        do {
            for index in 0..<count {
                endpoints.append(try await QUICNIOEndpoint.bind(
                    host: Self.sourceAddress(index, of: sources), port: 0, options: options, group: group))
            }
        } catch {
            await Self.close(endpoints)
            throw RelayBenchError("cannot bind client UDP socket \(endpoints.count + 1) of \(count): \(error)")
        }
        return endpoints
    }

    static func close(_ endpoints: [QUICNIOEndpoint]) async {
        await withDiscardingTaskGroup { group in
            for endpoint in endpoints { group.addTask { await endpoint.close() } }
        }
    }

    // MARK: - Relay

    /// Starts a fresh relay child, runs `body` with it, and stops it on every path.
    func withRelay<Value: Sendable>(
        _ body: @Sendable (RelayBenchChild) async throws -> Value
    ) async throws -> Value {
        let relay = try await RelayBenchChild.start(executable: executable, deployment: deployment, retry: retry)
        do {
            let value = try await body(relay)
            await relay.terminate()
            return value
        } catch {
            await relay.terminate()
            throw error
        }
    }

    /// Connects and registers one client, bounded by `seconds`.
    func connectAndRegister(
        endpoint: QUICNIOEndpoint, relay: SocketAddress, role: RelaySession.Role, seconds: Double = 20
    ) async throws -> RelayBenchClient {
        let configuration = role == .agent ? agentConfiguration : connectorConfiguration
        let service = self.service
        return try await withDeadline(seconds: seconds, "\(role) connect and REGISTER") {
            let client = try await RelayBenchClient.connect(
                endpoint: endpoint, relay: relay, configuration: configuration, role: role, service: service)
            do {
                try await client.register()
            } catch {
                await client.close()
                throw error
            }
            return client
        }
    }

    // MARK: - Waiting

    static func sleep(seconds: Double) async throws {
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
