import Foundation
@testable import QUICTLS
import QUICTestFixtures
import Testing

/// Creating a context reads files and validates settings; every failure names what was wrong.
@Suite struct TLSContextTests {
    /// The error thrown by creating a context from `configuration`, or `nil` if it succeeded.
    private func creationError(_ configuration: TLSConfiguration) -> TLSError? {
        do {
            _ = try TLSContext(configuration: configuration)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingFilesAreNamedInTheError() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let missing = files.directory.appendingPathComponent("absent.pem").path

        var chain = TLSConfiguration.testServer(files)
        chain.certificateChainFile = missing
        #expect(creationError(chain)?.message.contains(missing) == true)

        var key = TLSConfiguration.testServer(files)
        key.privateKeyFile = missing
        #expect(creationError(key)?.message.contains(missing) == true)

        var roots = TLSConfiguration.testClient(files)
        roots.trustRootsFile = missing
        #expect(creationError(roots)?.message.contains(missing) == true)
    }

    @Test func aKeyThatDoesNotMatchTheCertificateIsRejected() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var server = TLSConfiguration.testServer(files)
        server.privateKeyFile = files.clientPrivateKey
        let error = try #require(creationError(server))
        #expect(error.message.contains(files.clientPrivateKey))
        #expect(error.alert == nil)
        #expect(error.quicErrorCode == 0x1)
    }

    @Test func aServerNeedsAnIdentity() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var server = TLSConfiguration.testServer(files)
        server.certificateChainFile = nil
        server.privateKeyFile = nil
        #expect(creationError(server) != nil)

        var halfClient = TLSConfiguration.testClient(files)
        halfClient.certificateChainFile = files.clientCertificate
        #expect(creationError(halfClient) != nil)
    }

    @Test func clientAuthenticationNeedsTrustRoots() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var server = TLSConfiguration.testServer(files)
        server.trustRootsFile = nil
        #expect(creationError(server) == nil)   // .none needs no roots
        server.clientAuthentication = .required
        #expect(creationError(server)?.message.contains("trustRootsFile") == true)
    }

    @Test func groupsArePostQuantumFirstByDefault() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let context = try TLSContext(configuration: .testClient(files))
        #expect(context.groups == ["X25519MLKEM768", "X25519", "P-256"])
    }

    @Test func unknownGroupNamesAreSkipped() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let server = try TLSContext(configuration: .testServer(files), groups: ["NoSuchGroup", "X25519"])
        #expect(server.groups == ["X25519"])
        // A client preferring the hybrid still agrees with a server that only has X25519.
        let pair = try TLSPair(clientContext: TLSContext(configuration: .testClient(files)), serverContext: server)
        pair.run()
        #expect(pair.bothComplete)
        #expect(pair.client.negotiatedGroupName == "X25519")

        let onlyP256 = try TLSContext(configuration: .testServer(files), groups: ["P-256"])
        let p256Pair = try TLSPair(clientContext: TLSContext(configuration: .testClient(files)), serverContext: onlyP256)
        p256Pair.run()
        #expect(p256Pair.bothComplete)
        #expect(p256Pair.server.negotiatedGroupName == "P-256")
        // The client sent no P-256 key share at first, so a HelloRetryRequest led to a second ClientHello.
        let initial = p256Pair.clientRecord.data(at: .initial)
        try #require(initial.count >= 4)
        let firstLength = Int(initial[1]) << 16 | Int(initial[2]) << 8 | Int(initial[3])
        try #require(initial.count > 4 + firstLength)
        #expect(initial[4 + firstLength] == 0x01)

        #expect(throws: TLSError.self) {
            _ = try TLSContext(configuration: .testServer(files), groups: ["NoSuchGroup"])
        }
    }

    @Test func configuredGroupsReplaceTheDefaultOrder() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        #expect(try TLSContext(configuration: .testServer(files)).groups == ["X25519MLKEM768", "X25519", "P-256"])
        var configuration = TLSConfiguration.testClient(files)
        configuration.keyExchangeGroups = ["X25519"]
        let client = try TLSContext(configuration: configuration)
        #expect(client.groups == ["X25519"])
        let pair = try TLSPair(clientContext: client, serverContext: TLSContext(configuration: .testServer(files)))
        pair.run()
        #expect(pair.bothComplete)
        #expect(pair.server.negotiatedGroupName == "X25519")
    }

    @Test func onlyTLS13CipherSuitesAreAccepted() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var client = TLSConfiguration.testClient(files)
        client.cipherSuites = [0x1301, 0x1302, 0x1303]
        #expect(creationError(client) == nil)
        client.cipherSuites = [0xC02F]   // a TLS 1.2 suite
        #expect(creationError(client) != nil)
        client.cipherSuites = []
        #expect(creationError(client) != nil)
    }

    @Test func tls13OnlyContextRefusesNothingElseFromTheDefaults() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        // Defaults: verification on, no key log, no client authentication.
        let configuration = TLSConfiguration(role: .client, alpn: ["ztna-v1"])
        #expect(configuration.verifyPeer && configuration.verifyHostname)
        #expect(configuration.keyLogFile == nil && configuration.cipherSuites == nil)
        #expect(configuration.clientAuthentication == .none)
        // A client without trust roots uses the system's: creating it works.
        #expect(creationError(configuration) == nil)
    }
}
