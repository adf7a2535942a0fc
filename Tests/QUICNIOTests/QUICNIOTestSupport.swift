import Foundation
import Logging
import NIOCore
import QUICCore
import QUICNIO
import QUICTLS
import QUICTestFixtures

/// The ALPN every test speaks.
let testALPN = "ztna-test"

/// Certificates on disk and configurations built from them, for one test.
struct TestSetup {
    let files: TestCertificates.Files

    init() throws {
        files = try TestCertificates.writeToTemporaryDirectory()
    }

    func serverTLS(clientAuthentication: TLSConfiguration.ClientAuthentication = .none) throws -> TLSContext {
        var tls = TLSConfiguration(role: .server, alpn: [testALPN])
        tls.certificateChainFile = files.serverCertificate
        tls.privateKeyFile = files.serverPrivateKey
        tls.trustRootsFile = files.caCertificate
        tls.clientAuthentication = clientAuthentication
        return try TLSContext(configuration: tls)
    }

    func clientTLS(cipherSuites: [UInt16]? = nil, withCertificate: Bool = false) throws -> TLSContext {
        var tls = TLSConfiguration(role: .client, alpn: [testALPN])
        tls.trustRootsFile = files.caCertificate
        tls.cipherSuites = cipherSuites
        if withCertificate {
            tls.certificateChainFile = files.clientCertificate
            tls.privateKeyFile = files.clientPrivateKey
        }
        return try TLSContext(configuration: tls)
    }

    func serverEndpointConfiguration(clientAuthentication: TLSConfiguration.ClientAuthentication = .none,
                                     retry: QUICEndpointConfiguration.RetryPolicy = .never,
                                     configure: (inout QUICConfiguration) -> Void = { _ in }) throws -> QUICEndpointConfiguration {
        var server = QUICConfiguration(tls: try serverTLS(clientAuthentication: clientAuthentication))
        configure(&server)
        var configuration = QUICEndpointConfiguration(server: server)
        configuration.retry = retry
        return configuration
    }

    func clientConfiguration(cipherSuites: [UInt16]? = nil, withCertificate: Bool = false,
                             configure: (inout QUICConfiguration) -> Void = { _ in }) throws -> QUICConfiguration {
        var configuration = QUICConfiguration(tls: try clientTLS(cipherSuites: cipherSuites, withCertificate: withCertificate))
        configure(&configuration)
        return configuration
    }

    /// A server on an ephemeral loopback port that echoes every connection (streams and DATAGRAMs).
    func startEchoServer(clientAuthentication: TLSConfiguration.ClientAuthentication = .none,
                         retry: QUICEndpointConfiguration.RetryPolicy = .never,
                         options: QUICNIOOptions = QUICNIOOptions(),
                         configure: (inout QUICConfiguration) -> Void = { _ in }) async throws -> QUICServer {
        let server = try await QUICServer.bind(
            host: "127.0.0.1", port: 0,
            configuration: try serverEndpointConfiguration(clientAuthentication: clientAuthentication, retry: retry,
                                                           configure: configure),
            options: options)
        Task {
            await withDiscardingTaskGroup { group in
                for await connection in server.connections {
                    group.addTask { await connection.runEcho() }
                }
            }
        }
        return server
    }

    func remove() { files.remove() }
}

// MARK: - Bounding a test's runtime

struct TestTimeout: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "the test did not finish within \(limit)" }
}

/// Runs `body`, failing with `TestTimeout` if it has not finished after `limit` (a bound on a stuck test,
/// not a timing assertion: every operation below completes on loopback in milliseconds).
func withTimeout<T: Sendable>(_ limit: Duration = .seconds(15),
                              _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TestTimeout(limit: limit) }
        return value
    }
}

// MARK: - Data

/// Deterministic bytes that are not periodic at small powers of two.
func testBytes(count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: (($0 &+ seed) &* 2_654_435_761) >> 11) }
}

extension QUICNIOStream {
    /// Reads until the FIN.
    func readAll() async throws -> [UInt8] {
        var all: [UInt8] = []
        while let bytes = try await read() { all += bytes }
        return all
    }
}
