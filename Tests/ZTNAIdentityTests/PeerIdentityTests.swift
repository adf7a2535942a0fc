import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
import ZTNAProtocol
@testable import ZTNAIdentity

@Suite struct PeerIdentityTests {
    let web = ServiceID("web")!

    @Test func noSANsGrantNothingAndNameIsTheCN() throws {
        let ca = try TestPKI.ca()
        let peer = try TestPKI.peer(TestPKI.leaf(signedBy: ca, commonName: "agent.web.ztna"))
        #expect(peer.grants == .none)          // a grant-shaped CN is not a SAN
        #expect(peer.roles.isEmpty)
        #expect(peer.name == "agent.web.ztna")
        #expect(peer.dnsNames.isEmpty)
    }

    @Test func serverAuthOnlyCertificateGetsNoGrants() throws {
        let ca = try TestPKI.ca()
        let leaf = try TestPKI.leaf(signedBy: ca, sans: [.dnsName("agent.web.ztna")], purposes: [.serverAuth])
        let peer = try TestPKI.peer(leaf)
        #expect(peer.grants == .none)
        #expect(peer.purposes == .serverAuth)
    }

    @Test func certificateWithoutEKUGetsNoGrants() throws {
        let ca = try TestPKI.ca()
        let peer = try TestPKI.peer(TestPKI.leaf(signedBy: ca, sans: [.dnsName("agent.web.ztna")], purposes: nil))
        #expect(peer.purposes.isEmpty)
        #expect(peer.grants == .none)
    }

    @Test func mixedCaseSANGrants() throws {
        let ca = try TestPKI.ca()
        let peer = try TestPKI.peer(TestPKI.leaf(signedBy: ca, sans: [.dnsName("AGENT.Web.ZTNA")]))
        #expect(peer.grants.may(.agent, web))
        #expect(peer.roles == [.agent])
    }

    @Test func oddSANsGrantNothing() throws {
        let ca = try TestPKI.ca()
        let leaf = try TestPKI.leaf(signedBy: ca, sans: [
            .dnsName("agent.a.b.ztna"), .dnsName("agent..ztna"), .dnsName("agent.-x.ztna"),
            .dnsName("agent.web.example"), .uniformResourceIdentifier("agent.web.ztna"),
            .rfc822Name("agent.web.ztna"),
        ])
        let peer = try TestPKI.peer(leaf)
        #expect(peer.grants == .none)
        #expect(peer.dnsNames.count == 4)
    }

    @Test func wildcardAndSpecificSANs() throws {
        let ca = try TestPKI.ca()
        let leaf = try TestPKI.leaf(signedBy: ca, sans: [.dnsName("connector.*.ztna"), .dnsName("agent.web.ztna")])
        let peer = try TestPKI.peer(leaf)
        #expect(peer.grants.connector == .all)
        #expect(peer.grants.agent == .services([web]))
        #expect(peer.roles == [.agent, .connector])
    }

    @Test func nameFallsBackToTheFirstSAN() throws {
        let ca = try TestPKI.ca()
        let peer = try TestPKI.peer(TestPKI.leaf(
            signedBy: ca, commonName: nil,
            sans: [.ipAddress(ASN1OctetString(contentBytes: [10, 0, 0, 1])), .dnsName("relay.example")]))
        #expect(peer.commonName == nil)
        #expect(peer.name == "relay.example")
        #expect(peer.ipAddresses == ["10.0.0.1"])
        #expect(peer.roles == [.relay])
    }

    @Test func malformedIPSANIsIgnored() throws {
        let ca = try TestPKI.ca()
        let peer = try TestPKI.peer(TestPKI.leaf(signedBy: ca, sans: [.ipAddress(ASN1OctetString(contentBytes: [1, 2, 3]))]))
        #expect(peer.ipAddresses.isEmpty)
    }

    @Test func serialAndFingerprint() throws {
        let ca = try TestPKI.ca()
        let leaf = try TestPKI.leaf(signedBy: ca)
        let der = try TestPKI.der(leaf)
        let peer = try PeerIdentity(certificateChainDER: [der])
        #expect(peer.serial == "102030405060708")
        let expected = SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
        #expect(peer.fingerprint == expected)
        #expect(peer.fingerprint.count == 32 * 3 - 1)
        #expect(peer.notBefore == TestPKI.now - 3600)
        #expect(peer.notAfter == TestPKI.now + 86_400)
    }

    @Test func chainKeepsIntermediates() throws {
        let ca = try TestPKI.ca()
        let leaf = try TestPKI.der(TestPKI.leaf(signedBy: ca))
        let peer = try PeerIdentity(certificateChainDER: [leaf, TestPKI.der(ca.certificate)])
        #expect(peer.intermediates == [ca.certificate])
    }

    @Test func emptyChainAndGarbageAreTypedErrors() {
        let empty = #expect(throws: IdentityError.self) { try PeerIdentity(certificateChainDER: []) }
        #expect(empty?.code == .emptyChain)
        for bytes: [UInt8] in [[], [0x30], [0x30, 0x82, 0xff, 0xff, 0x00], Array(repeating: 0xff, count: 64)] {
            let error = #expect(throws: IdentityError.self) { try PeerIdentity(certificateChainDER: [bytes]) }
            #expect(error?.code == .malformedCertificate)
        }
    }

    @Test func truncatedCertificatesNeverTrap() throws {
        let ca = try TestPKI.ca()
        let der = try TestPKI.der(TestPKI.leaf(signedBy: ca, sans: [.dnsName("agent.web.ztna")]))
        for length in stride(from: 0, to: der.count, by: 7) {
            #expect(throws: IdentityError.self) { try PeerIdentity(certificateChainDER: [Array(der.prefix(length))]) }
        }
    }

    @Test func pemWithNoCertificateIsRejected() {
        let error = #expect(throws: IdentityError.self) { try PeerIdentity(pem: "hello", source: "x.crt") }
        #expect(error?.message.hasPrefix("x.crt: ") == true)
    }
}
