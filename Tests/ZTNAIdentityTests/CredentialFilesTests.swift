import Foundation
import Testing
@testable import ZTNAIdentity

@Suite struct CredentialFilesTests {
    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func writesModesAndRefusesToOverwrite() throws {
        let directory = try TestPKI.temporaryDirectory() + "/pki"     // created on demand
        let ca = try TestPKI.ca()
        let paths = try ca.write(to: directory, force: false)
        #expect(try mode(paths.privateKey) == 0o600)
        #expect(try mode(paths.certificate) == 0o644)
        let error = #expect(throws: IdentityError.self) { try ca.write(to: directory, force: false) }
        #expect(error?.code == .fileExists)

        let issued = try ca.issue(role: .agent, names: ["alice"], services: .all)
        let files = try issued.write(to: directory, force: false)
        #expect(files.certificate == directory + "/alice.crt")
        #expect(try mode(files.privateKey) == 0o600)
        #expect(throws: IdentityError.self) { try issued.write(to: directory, force: false) }
    }

    @Test func forceReplacesAndTightensTheMode() throws {
        let directory = try TestPKI.temporaryDirectory()
        let keyPath = directory + "/ca.key"
        #expect(FileManager.default.createFile(atPath: keyPath, contents: Data("old".utf8)))
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: keyPath)
        let ca = try TestPKI.ca()
        try ca.write(to: directory, force: true)
        #expect(try mode(keyPath) == 0o600)
        let loaded = try CertificateAuthority.load(directory: directory)
        #expect(loaded.certificate == ca.certificate)
    }

    @Test func refusedWriteLeavesNoPartialSet() throws {
        let directory = try TestPKI.temporaryDirectory()
        #expect(FileManager.default.createFile(atPath: directory + "/ca.crt", contents: Data("keep".utf8)))
        #expect(throws: IdentityError.self) { try TestPKI.ca().write(to: directory, force: false) }
        #expect(!FileManager.default.fileExists(atPath: directory + "/ca.key"))
        #expect(try String(contentsOfFile: directory + "/ca.crt", encoding: .utf8) == "keep")
    }

    @Test func loadRefusesAnOpenCAKey() throws {
        let directory = try TestPKI.temporaryDirectory()
        try TestPKI.ca().write(to: directory, force: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory + "/ca.key")
        let error = #expect(throws: IdentityError.self) { try CertificateAuthority.load(directory: directory) }
        #expect(error?.code == .insecureKeyFile)
    }
}
