import Foundation
import NIOCore
import QUICCore
import QUICNIO
import Testing
import ZTNAConfig
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// Who gets in (issue 4, "Tests"): mTLS is required and verified against the deployment CA, DATAGRAM
/// support is required, SIGHUP-style reloads disconnect revoked identities, Retry under `--retry always`.
@Suite("RelayServer admission", .timeLimit(.minutes(1)))
struct RelayServerAdmissionTests {
    /// How a refused client's connection ends: either `connect` throws, or it closes right after.
    private static func refusal(_ connect: () async throws -> RelayTestClient) async -> QUICCloseReason? {
        do {
            let client = try await connect()
            let reason = await client.closed
            await client.close()
            return reason
        } catch let QUICNIOError.connectionClosed(reason) {
            return reason
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// The application error code of a CONNECTION_CLOSE the relay sent, if that is how the connection ended.
    private static func applicationCode(_ reason: QUICCloseReason?) -> UInt64? {
        guard case .peer(let error)? = reason, error.isApplicationError else { return nil }
        return error.code
    }

    @Test func handshakeWithoutAClientCertificateIsRefused() async throws {
        try await RelayHarness.with { relay in
            let reason = await Self.refusal {
                try await RelayTestClient.connect(to: relay.address, credentials: nil, ca: relay.deployment.caCertificate)
            }
            // RFC 8446 §4.4.2: certificate_required (116).
            #expect(reason?.label == "tls_alert_116")
            // The relay counts the failure once its side of the connection is gone (after its closing period).
            try await relay.eventually { metrics in
                metrics.metricValue(#"ztna_handshake_failures_total{reason="tls_alert_116"}"#) == 1
            }
            #expect(await relay.metrics().metricValue(#"ztna_connections{role="all"}"#) == 0)
        }
    }

    @Test func handshakeWithACertificateFromAnotherCAIsRefused() async throws {
        let foreign = try ThrowawayDeployment.create()
        defer { foreign.remove() }
        let credentials = try foreign.issue(.agent, name: "eve", services: .all)
        try await RelayHarness.with { relay in
            let reason = await Self.refusal {
                try await RelayTestClient.connect(to: relay.address, credentials: credentials,
                                                  ca: relay.deployment.caCertificate)
            }
            #expect(reason?.label.hasPrefix("tls_alert_") == true, "closed with \(String(describing: reason))")
            #expect(await relay.relay.status().connections.isEmpty)
        }
    }

    @Test func clientWithoutDatagramSupportIsClosedWithCode2() async throws {
        try await RelayHarness.with { relay in
            let credentials = try relay.issue(.agent, "old", grants: ["web"])
            let reason = await Self.refusal {
                try await RelayTestClient.connect(to: relay.address, credentials: credentials,
                                                  ca: relay.deployment.caCertificate, datagrams: false)
            }
            #expect(reason == .peer(QUICCloseError(isApplicationError: true, code: RelayCloseCode.datagramsRequired.rawValue,
                                                   reason: "no max_datagram_frame_size transport parameter")))
        }
    }

    @Test func reloadWithARevokedSerialDisconnectsThatPeerOnly() async throws {
        var revokedPath = ""
        try await RelayHarness.with({ settings, deployment in
            revokedPath = deployment.directory + "/revoked.txt"
            try "# no revocations yet\n".write(toFile: revokedPath, atomically: true, encoding: .utf8)
            settings.revocationList = revokedPath
        }) { relay in
            let alice = try await relay.registeredAgent("alice", service: "web")
            let bob = try await relay.registeredAgent("bob", service: "web")
            let aliceCertificate = try PeerIdentity.load(path: relay.deployment.directory + "/alice.crt")

            try "\(aliceCertificate.serial)  # alice's laptop was stolen\n"
                .write(toFile: revokedPath, atomically: true, encoding: .utf8)
            #expect(try await relay.relay.reload() == 1)

            #expect(Self.applicationCode(await alice.closed) == RelayCloseCode.unauthorized.rawValue)
            // Bob stays connected and served.
            let web = try ServiceID.require("web")
            try await bob.send(.deregister(web))
            var answer = try await bob.receiveSkippingAddress()
            if case .serviceStatus = answer { answer = try await bob.receiveSkippingAddress() }
            #expect(answer == .registerAck(web))
            // A new connection with the revoked certificate is refused after its handshake.
            let again = await Self.refusal {
                try await RelayTestClient.connect(
                    to: relay.address,
                    credentials: (relay.deployment.directory + "/alice.crt", relay.deployment.directory + "/alice.key"),
                    ca: relay.deployment.caCertificate)
            }
            #expect(Self.applicationCode(again) == RelayCloseCode.unauthorized.rawValue)
            await alice.close()
            await bob.close()
        }
    }

    @Test func reloadWithABrokenRevocationListKeepsTheOldCredentials() async throws {
        var revokedPath = ""
        try await RelayHarness.with({ settings, deployment in
            revokedPath = deployment.directory + "/revoked.txt"
            try "".write(toFile: revokedPath, atomically: true, encoding: .utf8)
            settings.revocationList = revokedPath
        }) { relay in
            let alice = try await relay.registeredAgent("alice", service: "web")
            try "not-a-serial\n".write(toFile: revokedPath, atomically: true, encoding: .utf8)
            await #expect(throws: StartupError.self) { try await relay.relay.reload() }
            #expect(await relay.relay.status().connections.map(\.name) == ["alice"])
            await alice.close()
        }
    }

    @Test func retryAlwaysValidatesEveryClientAddressFirst() async throws {
        try await RelayHarness.with({ settings, _ in settings.retry = .always }) { relay in
            let agent = try await relay.registeredAgent("alice", service: "web")
            let metrics = await relay.metrics()
            // One Retry per Initial datagram of the first flight (a post-quantum ClientHello spans two).
            #expect(metrics.metricValue(#"ztna_retry_total{outcome="sent"}"#).map { $0 >= 1 } == true)
            #expect(metrics.metricValue(#"ztna_retry_total{outcome="validated"}"#) == 1)
            await agent.close()
        }
    }

    @Test func shutdownClosesEveryClientWithCode0AndRefusesNewOnes() async throws {
        try await RelayHarness.with { relay in
            let agent = try await relay.registeredAgent("alice", service: "web")
            let connector = try await relay.registeredConnector("conn-a", service: "web")
            await relay.relay.shutdown()   // what SIGTERM does through the ServiceGroup
            for client in [agent, connector] {
                #expect(Self.applicationCode(await client.closed) == RelayCloseCode.shutdown.rawValue)
                await client.close()
            }
            #expect(relay.relay.readiness() == .notReady(reason: "shutting down"))
        }
    }

    @Test func sharedRetryTokenKeyFileMustBeSecretAndWellFormed() async throws {
        let deployment = try ThrowawayDeployment.create()
        defer { deployment.remove() }
        let path = deployment.directory + "/retry.key"
        FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 32),
                                       attributes: [.posixPermissions: 0o644])
        #expect(throws: StartupError.self) { try RetryTokenKey.load(path: path) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try RetryTokenKey.load(path: path) == [UInt8](repeating: 7, count: 32))
        try Data(String(repeating: "ab", count: 32).utf8 + [0x0A]).write(to: URL(fileURLWithPath: path))
        #expect(try RetryTokenKey.load(path: path) == [UInt8](repeating: 0xAB, count: 32))
        try Data("short".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: StartupError.self) { try RetryTokenKey.load(path: path) }
    }
}
