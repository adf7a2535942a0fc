import QUICTLS
import QUICTestFixtures
import Testing

/// The client verifies the server's chain against its trust roots and the certificate against the name it
/// dialled (RFC 9001 §4.4 leaves authentication to TLS; RFC 6125 for names).
@Suite struct TLSPeerVerificationTests {
    private func rogueServer(_ files: TestCertificates.Files) -> TLSConfiguration {
        var configuration = TLSConfiguration.testServer(files)
        configuration.certificateChainFile = files.rogueCertificate
        configuration.privateKeyFile = files.roguePrivateKey
        return configuration
    }

    @Test func serverChainFromAnotherCAIsRejected() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files), server: rogueServer(files))
        pair.run()
        #expect(!pair.client.isHandshakeComplete)
        #expect(!pair.server.isHandshakeComplete)
        let error = try #require(pair.clientRecord.error)
        #expect(error.alert == 48)   // unknown_ca
        #expect(error.quicErrorCode == 0x130)
        #expect(error.message.contains("certificate verification"))
        // No application keys were handed out for a peer that failed verification.
        #expect(pair.clientRecord.secret(.application, isRead: true) == nil)
    }

    @Test func serverChainFromAnotherCAIsAcceptedWithoutVerification() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var client = TLSConfiguration.testClient(files)
        client.verifyPeer = false
        let pair = try TLSPair(client: client, server: rogueServer(files))
        pair.run()
        #expect(pair.bothComplete)
        #expect(pair.client.peerCertificateChainDER == [PEM.der(TestCertificates.rogueCertificate)])
    }

    @Test func hostnameMismatchFailsWhenVerified() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files), server: .testServer(files), serverName: "wrong.test")
        pair.run()
        #expect(!pair.client.isHandshakeComplete)
        let error = try #require(pair.clientRecord.error)
        // BoringSSL reports a name mismatch as bad_certificate (42).
        #expect(error.alert == 42)
        #expect(error.quicErrorCode == 0x12A)
        #expect(error.message.contains("certificate verification"))
    }

    @Test func hostnameMismatchPassesWithoutHostnameVerification() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var client = TLSConfiguration.testClient(files)
        client.verifyHostname = false
        let pair = try TLSPair(client: client, server: .testServer(files), serverName: "wrong.test")
        pair.run()
        #expect(pair.bothComplete)
        #expect(pair.server.requestedServerName == "wrong.test")
    }

    @Test func everySubjectAltNameIsAccepted() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        for name in ["localhost", "relay.test", "127.0.0.1"] {
            let pair = try TLSPair(client: .testClient(files), server: .testServer(files), serverName: name)
            pair.run()
            #expect(pair.bothComplete, "\(name)")
        }
    }

    @Test func ipAddressIsVerifiedButNotSentAsSNI() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let good = try TLSPair(client: .testClient(files), server: .testServer(files), serverName: "127.0.0.1")
        good.run()
        #expect(good.bothComplete)
        // RFC 6066 §3: literal IP addresses are not permitted in server_name.
        #expect(good.server.requestedServerName == nil)

        let wrong = try TLSPair(client: .testClient(files), server: .testServer(files), serverName: "127.0.0.2")
        wrong.run()
        #expect(!wrong.client.isHandshakeComplete)
        #expect(wrong.clientRecord.error != nil)
    }

    @Test func hostnameVerificationWithoutAServerNameIsRefused() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let context = try TLSContext(configuration: .testClient(files))
        #expect(throws: TLSError.self) {
            _ = try TLSSession(context: context, serverName: nil, transportParameters: [1, 0])
        }
        #expect(throws: TLSError.self) {
            _ = try TLSSession(context: context, serverName: "", transportParameters: [1, 0])
        }
        var unverified = TLSConfiguration.testClient(files)
        unverified.verifyHostname = false
        _ = try TLSSession(context: TLSContext(configuration: unverified), serverName: nil, transportParameters: [1, 0])
    }
}
