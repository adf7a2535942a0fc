import Foundation
import Testing
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// DESIGN.md §4, §7: each end of a tunnel checks the other's certificate — chain, purpose, grant — and that
/// its serial is not in its own revocation list.
@Suite struct TunnelAuthorizationTests {
    let web = ServiceID("web")!

    @Test func aRevokedSerialIsRefusedAndOtherSerialsAreNot() async throws {
        let deployment = try ThrowawayDeployment.create()
        defer { deployment.remove() }
        let alice = try deployment.issue(.agent, name: "alice", services: .all)
        let chain = [try Self.der(pemFile: alice.certificate)]
        let roots = try TrustRoots.load(path: deployment.caCertificate)
        let serial = try PeerIdentity.load(path: alice.certificate).serial

        let admitted = await TunnelAuthorization.check(chain: chain, trustRoots: roots, revocations: RevocationList(),
                                                       as: .agent, for: web)
        #expect(try admitted.get().name == "alice")

        let others = try RevocationList(text: "0a:1b:2c\n", source: "revoked.txt")
        let stillAdmitted = await TunnelAuthorization.check(chain: chain, trustRoots: roots, revocations: others,
                                                            as: .agent, for: web)
        #expect(try stillAdmitted.get().name == "alice")

        // Listed in the colon-separated upper-case spelling `openssl x509 -serial` prints: still the same serial.
        let revoked = try RevocationList(text: "# alice's laptop was stolen\n\(Self.colonSeparated(serial))\n",
                                         source: "revoked.txt")
        let refused = await TunnelAuthorization.check(chain: chain, trustRoots: roots, revocations: revoked,
                                                      as: .agent, for: web)
        guard case .failure(let refusal) = refused else {
            Issue.record("a revoked agent was admitted")
            return
        }
        #expect(refusal.reason == "certificate alice serial \(serial) is revoked")
    }

    @Test func aRevokedConnectorIsRefusedByTheAgent() async throws {
        let deployment = try ThrowawayDeployment.create()
        defer { deployment.remove() }
        let connector = try deployment.issue(.connector, name: "east", services: .services([web]))
        let chain = [try Self.der(pemFile: connector.certificate)]
        let roots = try TrustRoots.load(path: deployment.caCertificate)
        let serial = try PeerIdentity.load(path: connector.certificate).serial
        let revoked = try RevocationList(text: serial, source: "revoked.txt")
        let result = await TunnelAuthorization.check(chain: chain, trustRoots: roots, revocations: revoked,
                                                     as: .connector, for: web)
        #expect(throws: TunnelRefusal.self) { try result.get() }
    }

    // MARK: - Helpers

    /// The DER bytes of the first certificate in a PEM file (what a TLS peer presents).
    static func der(pemFile path: String) throws -> [UInt8] {
        let pem = try String(contentsOfFile: path, encoding: .utf8)
        let lines = pem.split(separator: "\n")
        let begin = try #require(lines.firstIndex { $0.hasPrefix("-----BEGIN CERTIFICATE") })
        let end = try #require(lines[begin...].firstIndex { $0.hasPrefix("-----END CERTIFICATE") })
        let body = lines[(begin + 1)..<end].joined()
        return try #require(Data(base64Encoded: body).map { [UInt8]($0) })
    }

    /// `0a1b2c` → `0A:1B:2C` (an odd number of digits gets a leading zero).
    static func colonSeparated(_ serial: String) -> String {
        let digits = Array((serial.count % 2 == 1 ? "0" + serial : serial).uppercased())
        return stride(from: 0, to: digits.count, by: 2).map { String(digits[$0..<$0 + 2]) }.joined(separator: ":")
    }
}
