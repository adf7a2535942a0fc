import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
@testable import ZTNARuntime

// MARK: - Test fixtures shared by the AdminServer tests

/// A readiness value the test flips while the server runs.
final class ReadinessSwitch: Sendable {
    private let value = Mutex<Readiness>(.notReady(reason: "starting"))

    func set(_ readiness: Readiness) {
        self.value.withLock { $0 = readiness }
    }

    func get() -> Readiness {
        self.value.withLock { $0 }
    }
}

/// A status struct shaped like the daemons' (nested arrays of records, dates).
struct SampleStatus: Encodable, Sendable {
    struct Connection: Encodable, Sendable {
        var peer: String
        var path: String
        var rttMicros: Int
    }

    var role: String
    var startedAt: Date
    var connections: [Connection]
    var bytes: UInt64
}

enum AdminServerHarness {
    static let logger = Logger(label: "admin-test")

    static let sampleStatus = SampleStatus(
        role: "relay",
        startedAt: Date(timeIntervalSince1970: 1_795_582_800),
        connections: [.init(peer: "agent-1", path: "relayed", rttMicros: 1500)],
        bytes: 42
    )

    /// Runs an admin server on 127.0.0.1:0 inside a `ServiceGroup`, calls `body` with it and its bound port,
    /// then shuts the group down gracefully and waits until `run()` has returned.
    static func withServer(
        role: String = "relay",
        registry: MetricsRegistry = MetricsRegistry(),
        readiness: @escaping @Sendable () async -> Readiness = { .ready },
        _ body: (AdminServer, Int) async throws -> Void
    ) async throws {
        let server = try AdminServer(
            configuration: .init(role: role, host: "127.0.0.1", port: 0),
            registry: registry,
            logger: self.logger,
            readiness: readiness,
            status: { Self.sampleStatus }
        )
        let group = ServiceGroup(configuration: .init(services: [server], logger: self.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let address = try await server.waitUntilListening()
                let port = try #require(address.port)
                try await body(server, port)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// One request on a fresh connection.
    static func request(
        _ port: Int, _ path: String, method: HTTPRequest.Method = .get
    ) async throws -> TestClient.Response {
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await client.execute(.init(path, method: method, body: method == .post ? ByteBuffer() : nil))
        }
    }
}

extension TestClient.Response {
    var text: String {
        self.body.map { String(buffer: $0) } ?? ""
    }
}
