import QUICTLS
import QUICTestFixtures
import Testing

/// Mutual TLS: the server asks for a client certificate and verifies it against its trust roots.
@Suite struct TLSClientAuthenticationTests {
    private func client(_ files: TestCertificates.Files, certificate: String?, key: String?) -> TLSConfiguration {
        var configuration = TLSConfiguration.testClient(files)
        configuration.certificateChainFile = certificate
        configuration.privateKeyFile = key
        return configuration
    }

    private func server(_ files: TestCertificates.Files, _ mode: TLSConfiguration.ClientAuthentication) -> TLSConfiguration {
        var configuration = TLSConfiguration.testServer(files)
        configuration.clientAuthentication = mode
        return configuration
    }

    @Test func requiredClientCertificateIsAcceptedAndExposed() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: client(files, certificate: files.clientCertificate, key: files.clientPrivateKey),
                               server: server(files, .required))
        pair.run()
        #expect(pair.serverRecord.error == nil)
        #expect(pair.bothComplete)
        #expect(pair.server.peerCertificateChainDER == [PEM.der(TestCertificates.clientCertificate)])
    }

    @Test func requiredClientCertificateMissingFailsWithCertificateRequired() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: client(files, certificate: nil, key: nil), server: server(files, .required))
        pair.run()
        #expect(!pair.server.isHandshakeComplete)
        let error = try #require(pair.serverRecord.error)
        // RFC 8446 §4.4.2.4: certificate_required (116) when the client sends an empty Certificate.
        #expect(error.alert == 116)
        #expect(error.quicErrorCode == 0x100 + 116)
        // Nothing was verified, so the message must not claim a verification result.
        #expect(!error.message.contains("certificate verification"))
        #expect(!pair.serverRecord.outputs.contains(.handshakeComplete))
    }

    @Test func clientCertificateFromAnotherCAIsRejected() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: client(files, certificate: files.rogueCertificate, key: files.roguePrivateKey),
                               server: server(files, .required))
        pair.run()
        #expect(!pair.server.isHandshakeComplete)
        let error = try #require(pair.serverRecord.error)
        // RFC 8446 §6.2: unknown_ca (48) — the chain does not lead to a trusted root.
        #expect(error.alert == 48)
        #expect(error.quicErrorCode == 0x130)
        #expect(error.message.contains("certificate verification"))
    }

    @Test func optionalClientCertificateMayBeAbsent() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: client(files, certificate: nil, key: nil), server: server(files, .optional))
        pair.run()
        #expect(pair.bothComplete)
        #expect(pair.server.peerCertificateChainDER.isEmpty)
    }

    @Test func optionalClientCertificateIsStillVerifiedWhenSent() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let good = try TLSPair(client: client(files, certificate: files.clientCertificate, key: files.clientPrivateKey),
                               server: server(files, .optional))
        good.run()
        #expect(good.bothComplete)
        #expect(good.server.peerCertificateChainDER.count == 1)

        let rogue = try TLSPair(client: client(files, certificate: files.rogueCertificate, key: files.roguePrivateKey),
                                server: server(files, .optional))
        rogue.run()
        #expect(!rogue.server.isHandshakeComplete)
        #expect(rogue.serverRecord.error?.alert == 48)
    }

    @Test func serverWithoutClientAuthenticationDoesNotAskForACertificate() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: client(files, certificate: files.clientCertificate, key: files.clientPrivateKey),
                               server: server(files, .none))
        pair.run()
        #expect(pair.bothComplete)
        #expect(pair.server.peerCertificateChainDER.isEmpty)
    }
}
