import Foundation
import Testing
import X509
@testable import ZTNAIdentity

@Suite struct CertificateSummaryTests {
    @Test func validityStatus() {
        let now = TestPKI.now
        #expect(CertificateSummary.status(notBefore: now - 10, notAfter: now + 3 * 86_400 + 5, now: now) == "valid for 3 days")
        #expect(CertificateSummary.status(notBefore: now - 10, notAfter: now + 7200, now: now) == "valid for 2 hours")
        #expect(CertificateSummary.status(notBefore: now - 10, notAfter: now - 86_400, now: now) == "expired 1 day ago")
        #expect(CertificateSummary.status(notBefore: now + 2 * 86_400, notAfter: now + 9 * 86_400, now: now)
            == "not yet valid (starts in 2 days)")
    }

    @Test func expiredCertificateSaysSo() throws {
        let ca = try TestPKI.ca()
        let leaf = try TestPKI.leaf(signedBy: ca, sans: [.dnsName("connector.web.ztna")],
                                    notBefore: TestPKI.now - 10 * 86_400, notAfter: TestPKI.now - 5 * 86_400)
        let text = CertificateSummary(try TestPKI.peer(leaf), now: TestPKI.now).description
        #expect(text.contains("validity:   expired 5 days ago"))
        #expect(text.contains("grants:     connector: web; agent: none"))
        #expect(text.contains("roles:      connector"))
        #expect(text.contains("not after:  2027-01-10T"))
    }
}
