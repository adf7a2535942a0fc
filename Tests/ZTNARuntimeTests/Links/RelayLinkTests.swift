import Foundation
import Logging
import NIOCore
import QUICNIO
import Testing
import ZTNAConfig
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// `RelayLink.replaceTLS` (DESIGN.md §7, SIGHUP): the live relay connection stays as it is; the next
/// connection after a loss presents the new certificate.
@Suite(.timeLimit(.minutes(1)))
struct RelayLinkTests {
    @Test func aReplacedIdentityIsPresentedFromTheNextConnectionOn() async throws {
        var revokedPath = ""
        try await RelayHarness.with({ settings, deployment in
            revokedPath = deployment.directory + "/revoked.txt"
            try "".write(toFile: revokedPath, atomically: true, encoding: .utf8)
            settings.revocationList = revokedPath
        }) { harness in
            let old = try harness.issue(.connector, "east-2025", grants: ["web"])
            let new = try harness.issue(.connector, "east-2026", grants: ["web"])
            let ca = harness.deployment.caCertificate
            let endpoint = try await QUICNIOEndpoint.bind(host: "127.0.0.1", port: 0)
            let link = RelayLink(
                relay: HostPort(host: "127.0.0.1", port: UInt16(harness.address.port ?? 0)), endpoint: endpoint,
                tls: try RelayLink.tlsContext(certificate: old.certificate, privateKey: old.privateKey, trustRoots: ca),
                role: .connector, services: [ServiceID("web")!], logger: RelayHarness.logger) { _ in }
            let running = Task { await link.run() }
            defer { running.cancel() }
            try await Self.waitForConnections(harness, ["east-2025"])

            link.replaceTLS(try RelayLink.tlsContext(certificate: new.certificate, privateKey: new.privateKey,
                                                     trustRoots: ca))
            #expect(await harness.relay.status().connections.map(\.name) == ["east-2025"])

            // The relay revokes the old certificate and drops the connection: the link reconnects as the new one.
            let oldSerial = try PeerIdentity.load(path: old.certificate).serial
            try "\(oldSerial)\n".write(toFile: revokedPath, atomically: true, encoding: .utf8)
            #expect(try await harness.relay.reload() == 1)
            try await Self.waitForConnections(harness, ["east-2026"])
            running.cancel()
            await running.value
            await endpoint.close()
        }
    }

    /// Waits until the relay's clients are exactly `names` (bounded by the suite's time limit).
    static func waitForConnections(_ harness: RelayHarness, _ names: [String]) async throws {
        while await harness.relay.status().connections.map(\.name) != names {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
