import Foundation
import Testing
import X509
import ZTNAProtocol
@testable import ZTNAIdentity

@Suite struct CertificateAuthorityTests {
    let now = TestPKI.now

    // MARK: - The CA

    @Test func caIsSelfSignedP256CAForTenYears() throws {
        let ca = try CertificateAuthority.create(commonName: "acme ztna", now: now)
        let certificate = ca.certificate
        #expect(certificate.subject == certificate.issuer)
        #expect("\(certificate.subject)" == "CN=acme ztna")
        #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let usage = try #require(try certificate.extensions.keyUsage)
        #expect(usage.keyCertSign)
        #expect(certificate.notValidAfter.timeIntervalSince(now) == 3650 * 86_400)
        #expect(certificate.notValidBefore == now - 300)
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
    }

    @Test func caRoundTripsThroughPEM() throws {
        let ca = try TestPKI.ca()
        let loaded = try CertificateAuthority(certificatePEM: ca.certificatePEM, privateKeyPEM: ca.privateKeyPEM)
        #expect(loaded.certificate == ca.certificate)
        #expect(ca.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    @Test func caRefusesAKeyOfAnotherCA() throws {
        let ca = try TestPKI.ca()
        let other = try TestPKI.ca("other")
        #expect(throws: IdentityError.self) {
            try CertificateAuthority(certificatePEM: ca.certificatePEM, privateKeyPEM: other.privateKeyPEM)
        }
    }

    @Test func caRefusesALeafAsCA() throws {
        let ca = try TestPKI.ca()
        let issued = try ca.issue(role: .relay, names: ["relay.example.com"], now: now)
        let error = #expect(throws: IdentityError.self) {
            try CertificateAuthority(certificatePEM: issued.certificatePEM, privateKeyPEM: issued.privateKeyPEM)
        }
        #expect(error?.code == .malformedCertificate)
    }

    // MARK: - Issuance per role (DESIGN.md §7)

    @Test func relayGetsDNSAndIPSANsAndServerAuthOnly() throws {
        let ca = try TestPKI.ca()
        let issued = try ca.issue(role: .relay, names: ["Relay.Example.com", "203.0.113.7", "2001:db8::1"], now: now)
        let peer = try TestPKI.peer(issued.certificate)
        #expect(peer.dnsNames == ["relay.example.com"])
        #expect(peer.ipAddresses == ["203.0.113.7", "2001:db8::1"])
        #expect(peer.purposes == .serverAuth)
        #expect(peer.grants == .none)
        #expect(peer.roles == [.relay])
        #expect(peer.commonName == "Relay.Example.com")
        #expect(issued.name == "Relay.Example.com")
        #expect(peer.notAfter.timeIntervalSince(now) == 365 * 86_400)
    }

    @Test func connectorGetsOneGrantSANPerServiceAndBothEKUs() throws {
        let ca = try TestPKI.ca()
        let services = ServiceGrant.services([ServiceID("web")!, ServiceID("echo")!])
        let issued = try ca.issue(role: .connector, names: ["office-1"], services: services, now: now)
        let peer = try TestPKI.peer(issued.certificate)
        #expect(peer.commonName == "office-1")
        #expect(peer.name == "office-1")
        #expect(peer.dnsNames == ["connector.echo.ztna", "connector.web.ztna"])
        #expect(peer.ipAddresses.isEmpty)
        #expect(peer.purposes == [.clientAuth, .serverAuth])
        #expect(peer.grants == Grants(connector: services))
        #expect(peer.roles == [.connector])
        #expect(peer.notAfter.timeIntervalSince(now) == 365 * 86_400)
    }

    @Test func agentWildcardGrantsEveryServiceForNinetyDays() throws {
        let ca = try TestPKI.ca()
        let issued = try ca.issue(role: .agent, names: ["alice"], services: .all, now: now)
        let peer = try TestPKI.peer(issued.certificate)
        #expect(peer.dnsNames == ["agent.*.ztna"])
        #expect(peer.grants.agent == .all)
        #expect(peer.grants.may(.agent, ServiceID("anything")!))
        #expect(!peer.grants.may(.connector, ServiceID("anything")!))
        #expect(peer.notAfter.timeIntervalSince(now) == 90 * 86_400)
        #expect(peer.notBefore == now - 300)
    }

    @Test func explicitValidityIsUsed() throws {
        let ca = try TestPKI.ca()
        let issued = try ca.issue(role: .agent, names: ["bob"], services: .all, validity: .seconds(7 * 86_400), now: now)
        #expect(issued.certificate.notValidAfter.timeIntervalSince(now) == 7 * 86_400)
        #expect(throws: IdentityError.self) {
            try ca.issue(role: .agent, names: ["bob"], services: .all, validity: .zero, now: now)
        }
    }

    @Test func serialsAreRandomPositiveAndAtLeast64Bits() throws {
        let ca = try TestPKI.ca()
        var serials: Set<[UInt8]> = []
        for _ in 0..<8 {
            let certificate = try ca.issue(role: .relay, names: ["r.example"], now: now).certificate
            let bytes = Array(certificate.serialNumber.bytes)
            #expect(bytes.count >= 8 && bytes.count <= 20)
            #expect(bytes[0] & 0x80 == 0)          // positive (RFC 5280 §4.1.2.2)
            serials.insert(bytes)
        }
        #expect(serials.count == 8)
    }

    @Test func issuedCertificatesAreSignedByTheCA() throws {
        let ca = try TestPKI.ca()
        let certificate = try ca.issue(role: .agent, names: ["alice"], services: .all, now: now).certificate
        #expect(certificate.issuer == ca.certificate.subject)
        #expect(ca.certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
    }

    // MARK: - Rejected requests

    @Test func relayTakesNoServices() throws {
        let ca = try TestPKI.ca()
        let error = #expect(throws: IdentityError.self) {
            try ca.issue(role: .relay, names: ["r.example"], services: .all, now: now)
        }
        #expect(error?.code == .invalidServices)
    }

    @Test func connectorAndAgentNeedServicesAndOneName() throws {
        let ca = try TestPKI.ca()
        #expect(throws: IdentityError(.invalidServices, "agent certificates need --services (service ids, or '*' for all)")) {
            try ca.issue(role: .agent, names: ["alice"], services: .none, now: now)
        }
        let twoNames = #expect(throws: IdentityError.self) {
            try ca.issue(role: .connector, names: ["a", "b"], services: .all, now: now)
        }
        #expect(twoNames?.code == .invalidName)
    }

    @Test(arguments: ["bad name", "-x", "a/b", "", "a..b", "x_y.example"])
    func invalidRelayNamesAreRejected(_ name: String) throws {
        let ca = try TestPKI.ca()
        let error = #expect(throws: IdentityError.self) { try ca.issue(role: .relay, names: [name], now: now) }
        #expect(error?.code == .invalidName)
    }

    @Test(arguments: ["a/b", "../x", ".hidden", "-x", "", "with space"])
    func invalidNodeNamesAreRejected(_ name: String) throws {
        let ca = try TestPKI.ca()
        let error = #expect(throws: IdentityError.self) {
            try ca.issue(role: .agent, names: [name], services: .all, now: now)
        }
        #expect(error?.code == .invalidName)
    }
}
