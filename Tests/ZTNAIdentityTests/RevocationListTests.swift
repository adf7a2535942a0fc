import Foundation
import Testing
import X509
@testable import ZTNAIdentity

@Suite struct RevocationListTests {
    @Test func parsesCommentsBlankLinesColonsAndCase() throws {
        let list = try RevocationList(text: """
            # revoked 2026-01-02
            0A:1B:2C
              DEADBEEF   # alice's laptop

            00ff\r
            """, source: "revoked.txt")
        #expect(list.serials == ["a1b2c", "deadbeef", "ff"])
        #expect(list.contains(serial: "a1b2c"))
        #expect(list.contains(serial: "0a:1b:2c"))
        #expect(list.contains(serial: "DeadBeef"))
        #expect(list.contains(serial: "FF"))
        #expect(!list.contains(serial: "beef"))
        #expect(!list.contains(serial: "not hex"))
    }

    @Test func badLineIsNamed() {
        #expect(throws: IdentityError(.revocationListSyntax, "revoked.txt:3: not a hexadecimal certificate serial: \"xyz\"")) {
            try RevocationList(text: "01\n\nxyz\n", source: "revoked.txt")
        }
        let colonsOnly = #expect(throws: IdentityError.self) { try RevocationList(text: ":::", source: "r") }
        #expect(colonsOnly?.message == "r:1: not a hexadecimal certificate serial: \":::\"")
    }

    @Test func overlongSerialIsRejected() {
        let error = #expect(throws: IdentityError.self) {
            try RevocationList(text: String(repeating: "f", count: 41), source: "r")
        }
        #expect(error?.code == .revocationListSyntax)
        #expect((try? RevocationList(text: "00" + String(repeating: "f", count: 40), source: "r")) != nil)
    }

    @Test func matchesIssuedCertificatesInOpensslSpelling() throws {
        let ca = try TestPKI.ca()
        let issued = try ca.issue(role: .agent, names: ["alice"], services: .all, now: TestPKI.now)
        let peer = try TestPKI.peer(issued.certificate)
        // `openssl x509 -serial` style: upper case, every byte; and the colon form browsers show.
        let bytes = Array(issued.certificate.serialNumber.bytes)
        let openssl = bytes.map { String(format: "%02X", $0) }.joined()
        let colons = bytes.map { String(format: "%02x", $0) }.joined(separator: ":")
        #expect(try RevocationList(text: "# one\n\(openssl)\n", source: "r").contains(peer))
        #expect(try RevocationList(text: colons, source: "r").contains(peer))
        #expect(!RevocationList().contains(peer))
        #expect(!(try RevocationList(text: "01", source: "r").contains(peer)))
    }

    @Test func emptyFileRevokesNothing() throws {
        #expect(try RevocationList(text: "", source: "r").serials.isEmpty)
        #expect(try RevocationList(text: "# nothing\n\n", source: "r").serials.isEmpty)
    }
}
