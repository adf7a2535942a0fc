import Foundation
import Testing
@testable import ZTNAIdentity

@Suite struct KeyFilePolicyTests {
    func keyFile(mode: Int) throws -> String {
        let path = try TestPKI.temporaryDirectory() + "/node.key"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("key".utf8)))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test(arguments: [0o600, 0o400])
    func ownerOnlyIsAccepted(_ mode: Int) throws {
        try KeyFilePolicy.check(path: try keyFile(mode: mode))
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o777])
    func groupOrWorldAccessIsRefused(_ mode: Int) throws {
        let path = try keyFile(mode: mode)
        let error = #expect(throws: IdentityError.self) { try KeyFilePolicy.check(path: path) }
        #expect(error?.code == .insecureKeyFile)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains(KeyFilePolicy.octal(UInt32(mode))) == true)
    }

    @Test func missingFileIsNamed() throws {
        let path = try TestPKI.temporaryDirectory() + "/absent.key"
        #expect(throws: IdentityError(.fileNotFound, "private key \(path): no such file")) {
            try KeyFilePolicy.check(path: path)
        }
    }

    @Test func symlinkTargetModeCounts() throws {
        let target = try keyFile(mode: 0o644)
        let link = try TestPKI.temporaryDirectory() + "/link.key"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(throws: IdentityError.self) { try KeyFilePolicy.check(path: link) }
    }
}
