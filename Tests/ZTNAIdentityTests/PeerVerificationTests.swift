import Foundation
import Testing
import X509
import ZTNAProtocol
@testable import ZTNAIdentity

@Suite struct PeerVerificationTests {
    let now = TestPKI.now

    func chain(_ certificate: Certificate) throws -> [[UInt8]] { [try TestPKI.der(certificate)] }

    @Test func issuedAgentVerifiesAsClient() async throws {
        let ca = try TestPKI.ca()
        let issued = try ca.issue(role: .agent, names: ["alice"], services: .services([ServiceID("web")!]), now: now)
        let peer = try await PeerIdentity.verify(
            chain: chain(issued.certificate), trustRoots: TrustRoots(certificates: [ca.certificate]), now: now)
        #expect(peer.name == "alice")
        #expect(peer.grants.may(.agent, ServiceID("web")!))
    }

    @Test func issuedRelayVerifiesAsServerButNotAsClient() async throws {
        let ca = try TestPKI.ca()
        let relay = try ca.issue(role: .relay, names: ["relay.example"], now: now).certificate
        let roots = TrustRoots(certificates: [ca.certificate])
        let peer = try await PeerIdentity.verify(chain: chain(relay), trustRoots: roots, now: now, requiring: .serverAuth)
        #expect(peer.roles == [.relay])
        await #expect(throws: IdentityError.self) {
            try await PeerIdentity.verify(chain: chain(relay), trustRoots: roots, now: now, requiring: .clientAuth)
        }
    }

    @Test func wrongEKU() async throws {
        let ca = try TestPKI.ca()
        let leaf = try TestPKI.leaf(signedBy: ca, sans: [.dnsName("agent.web.ztna")], purposes: [.serverAuth])
        let error = await #expect(throws: IdentityError.self) {
            try await PeerIdentity.verify(chain: chain(leaf), trustRoots: TrustRoots(certificates: [ca.certificate]), now: now)
        }
        #expect(error?.code == .wrongEKU)
    }

    @Test func expired() async throws {
        let ca = try TestPKI.ca()
        let leaf = try TestPKI.leaf(signedBy: ca, notBefore: now - 7200, notAfter: now - 1)
        let error = await #expect(throws: IdentityError.self) {
            try await PeerIdentity.verify(chain: chain(leaf), trustRoots: TrustRoots(certificates: [ca.certificate]), now: now)
        }
        #expect(error?.code == .expired)
    }

    @Test func notYetValid() async throws {
        let ca = try TestPKI.ca()
        let leaf = try TestPKI.leaf(signedBy: ca, notBefore: now + 60, notAfter: now + 7200)
        let error = await #expect(throws: IdentityError.self) {
            try await PeerIdentity.verify(chain: chain(leaf), trustRoots: TrustRoots(certificates: [ca.certificate]), now: now)
        }
        #expect(error?.code == .notYetValid)
    }

    @Test func otherCA() async throws {
        let ca = try TestPKI.ca()
        let impostor = try TestPKI.ca("test CA")      // same name, different key
        let leaf = try impostor.issue(role: .agent, names: ["mallory"], services: .all, now: now).certificate
        let error = await #expect(throws: IdentityError.self) {
            try await PeerIdentity.verify(chain: chain(leaf), trustRoots: TrustRoots(certificates: [ca.certificate]), now: now)
        }
        #expect(error?.code == .otherCA)
    }

    @Test func caExpiredMeansUntrusted() async throws {
        let ca = try CertificateAuthority.create(commonName: "short", validity: .seconds(3600), now: now - 86_400)
        let leaf = try TestPKI.leaf(signedBy: ca)
        let error = await #expect(throws: IdentityError.self) {
            try await PeerIdentity.verify(chain: chain(leaf), trustRoots: TrustRoots(certificates: [ca.certificate]), now: now)
        }
        #expect(error?.code == .otherCA)
    }

    @Test func trustRootsBundleParsesAndRejectsJunk() throws {
        let first = try TestPKI.ca("first")
        let second = try TestPKI.ca("second")
        let roots = try TrustRoots(pemBundle: first.certificatePEM + "\n" + second.certificatePEM, source: "ca.crt")
        #expect(roots.certificates == [first.certificate, second.certificate])
        let error = #expect(throws: IdentityError.self) { try TrustRoots(pemBundle: "junk", source: "ca.crt") }
        #expect(error?.message.hasPrefix("ca.crt:") == true)
    }
}
