import Foundation
import Logging
import NIOCore
import QUICNIO
import RelayCore
import ZTNAConfig
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// A relay on 127.0.0.1 with a throwaway PKI, for the integration tests; `stop()` closes it and deletes the PKI.
struct RelayHarness {
    let deployment: ThrowawayDeployment
    let relay: RelayServer
    let address: SocketAddress
    let registry: MetricsRegistry

    static let logger: Logger = {
        var logger = Logger(label: "relay-test")
        logger.logLevel = .warning
        return logger
    }()

    static func start(_ configure: (inout RelaySettings, ThrowawayDeployment) throws -> Void = { _, _ in })
        async throws -> RelayHarness {
        let deployment = try ThrowawayDeployment.create()
        do {
            var settings = RelaySettings(
                listen: HostPort(host: "127.0.0.1", port: 0), certificate: deployment.relayCertificate,
                privateKey: deployment.relayPrivateKey, trustRoots: deployment.caCertificate, admin: nil)
            settings.socketBufferSize = 1 << 20
            try configure(&settings, deployment)
            let registry = MetricsRegistry()
            let relay = try RelayServer(settings: settings, registry: registry, logger: logger)
            let address = try await relay.start()
            return RelayHarness(deployment: deployment, relay: relay, address: address, registry: registry)
        } catch {
            deployment.remove()
            throw error
        }
    }

    /// Issues a certificate for `name` granting `services` (`["*"]` for all) and connects with it.
    func client(_ role: Role, _ name: String, grants services: [String]) async throws -> RelayTestClient {
        let credentials = try issue(role, name, grants: services)
        return try await RelayTestClient.connect(to: address, credentials: credentials, ca: deployment.caCertificate)
    }

    func issue(_ role: Role, _ name: String, grants services: [String]) throws -> (certificate: String, privateKey: String) {
        let grant: ServiceGrant = services == ["*"] ? .all : .services(Set(try services.map(ServiceID.require)))
        return try deployment.issue(role, name: name, services: grant)
    }

    /// A connector for `service`, registered (ACK checked).
    func registeredConnector(_ name: String, service: String) async throws -> RelayTestClient {
        let client = try await self.client(.connector, name, grants: [service])
        guard case .registerAck = try await client.register(service, asConnector: true) else {
            throw HarnessError.notAcknowledged(name)
        }
        return client
    }

    /// An agent for `service`, registered (ACK checked; the SERVICE_STATUS that follows is left to read).
    func registeredAgent(_ name: String, service: String) async throws -> RelayTestClient {
        let client = try await self.client(.agent, name, grants: [service])
        guard case .registerAck = try await client.register(service, asConnector: false) else {
            throw HarnessError.notAcknowledged(name)
        }
        return client
    }

    /// Prometheus text of the relay's registry.
    func metrics() async -> String {
        String(decoding: await registry.render(), as: UTF8.self)
    }

    /// Waits until the relay's metrics satisfy `condition` (state that settles asynchronously, such as a
    /// handshake failure counted after the closing period); the suite's time limit bounds the wait.
    func eventually(_ condition: (String) -> Bool) async throws {
        while !condition(await metrics()) {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func stop() async {
        await relay.shutdown()
        deployment.remove()
    }

    enum HarnessError: Error {
        case notAcknowledged(String)
    }
}

extension String {
    /// The value of the Prometheus series `series` (exact `name{labels}` text) in exposition text, if present.
    func metricValue(_ series: String) -> Double? {
        for line in split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}

extension RelayHarness {
    /// Starts a relay, runs `body`, and stops the relay on every exit path.
    static func with(_ configure: (inout RelaySettings, ThrowawayDeployment) throws -> Void = { _, _ in },
                     _ body: (RelayHarness) async throws -> Void) async throws {
        let harness = try await start(configure)
        do {
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }
}
