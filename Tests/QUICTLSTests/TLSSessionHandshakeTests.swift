import QUICTLS
import QUICTestFixtures
import Testing

/// A complete QUIC-style TLS 1.3 handshake between two in-memory sessions (RFC 9001 §4).
@Suite struct TLSSessionHandshakeTests {
    @Test func handshakeCompletesWithMatchingSecretsPerLevel() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files), server: .testServer(files))
        pair.run()

        #expect(pair.clientRecord.error == nil)
        #expect(pair.serverRecord.error == nil)
        #expect(pair.bothComplete)
        #expect(pair.clientRecord.outputs.contains(.handshakeComplete))
        #expect(pair.serverRecord.outputs.contains(.handshakeComplete))

        // RFC 9001 §5.1: each direction's secret at a level is shared by writer and reader.
        for level in [TLSEncryptionLevel.handshake, .application] {
            let clientWrite = try #require(pair.clientRecord.secret(level, isRead: false))
            let clientRead = try #require(pair.clientRecord.secret(level, isRead: true))
            let serverWrite = try #require(pair.serverRecord.secret(level, isRead: false))
            let serverRead = try #require(pair.serverRecord.secret(level, isRead: true))
            #expect(clientWrite.secret == serverRead.secret)
            #expect(serverWrite.secret == clientRead.secret)
            #expect(clientWrite.secret != clientRead.secret)
            #expect(clientWrite.suite == serverRead.suite && serverWrite.suite == clientRead.suite)
            #expect(clientWrite.secret.count == 32 || clientWrite.secret.count == 48)
        }
        // Initial keys come from the connection ID (RFC 9001 §5.2), never from TLS; no 0-RTT was offered.
        for level in [TLSEncryptionLevel.initial, .earlyData] {
            #expect(pair.clientRecord.secret(level, isRead: true) == nil)
            #expect(pair.serverRecord.secret(level, isRead: false) == nil)
        }
    }

    @Test func negotiatedPropertiesAreVisibleOnBothSides() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files), server: .testServer(files))
        pair.run()
        #expect(pair.bothComplete)

        // RFC 9001 §8.2: transport parameters travel in both directions, unchanged.
        #expect(pair.server.peerTransportParameters == TLSPair.clientParameters)
        #expect(pair.client.peerTransportParameters == TLSPair.serverParameters)
        #expect(pair.client.negotiatedALPN == "ztna-v1")
        #expect(pair.server.negotiatedALPN == "ztna-v1")
        #expect(pair.server.requestedServerName == "localhost")
        #expect(pair.client.peerCertificateChainDER == [PEM.der(TestCertificates.serverCertificate)])
        #expect(pair.server.peerCertificateChainDER.isEmpty)
        #expect(pair.client.negotiatedGroupName == "X25519MLKEM768")
        #expect(pair.server.negotiatedGroupName == "X25519MLKEM768")
        let suite = try #require(pair.client.negotiatedCipherSuite)
        #expect([UInt16(0x1301), 0x1302, 0x1303].contains(suite))
        #expect(pair.server.negotiatedCipherSuite == suite)
        #expect(pair.clientRecord.secret(.application, isRead: false)?.suite == suite)
    }

    @Test func nothingIsKnownBeforeThePeerSpeaks() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files), server: .testServer(files))
        #expect(pair.client.peerTransportParameters == nil)
        #expect(pair.client.negotiatedALPN == nil)
        #expect(pair.client.peerCertificateChainDER.isEmpty)
        #expect(pair.server.requestedServerName == nil)
        #expect(!pair.client.isHandshakeComplete)
        #expect(pair.client.pollOutput() == nil)
    }

    @Test func restrictingTheClientToChaCha20NegotiatesIt() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var client = TLSConfiguration.testClient(files)
        client.cipherSuites = [0x1303]
        let pair = try TLSPair(client: client, server: .testServer(files))
        pair.run()
        #expect(pair.bothComplete)
        #expect(pair.client.negotiatedCipherSuite == 0x1303)
        #expect(pair.server.negotiatedCipherSuite == 0x1303)
        #expect(pair.serverRecord.secret(.handshake, isRead: true)?.suite == 0x1303)
        #expect(pair.clientRecord.secret(.application, isRead: false)?.secret.count == 32)
    }

    @Test func aes256GCMUsesSHA384SizedSecrets() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var client = TLSConfiguration.testClient(files)
        client.cipherSuites = [0x1302]
        let pair = try TLSPair(client: client, server: .testServer(files))
        pair.run()
        #expect(pair.bothComplete)
        #expect(pair.client.negotiatedCipherSuite == 0x1302)
        // RFC 8446 §7.1: secrets are Hash.length long; TLS_AES_256_GCM_SHA384 uses SHA-384.
        #expect(pair.clientRecord.secret(.handshake, isRead: true)?.secret.count == 48)
        #expect(pair.serverRecord.secret(.application, isRead: false)?.secret.count == 48)
    }

    @Test func eachLevelsWriteSecretPrecedesItsData() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files), server: .testServer(files))
        pair.run()
        #expect(pair.bothComplete)
        for record in [pair.clientRecord, pair.serverRecord] {
            var writable: Set<TLSEncryptionLevel> = [.initial]
            for output in record.outputs {
                switch output {
                case .writeSecret(let level, _, _): writable.insert(level)
                case .handshakeData(let level, let bytes):
                    #expect(writable.contains(level), "data at \(level) before its write secret")
                    #expect(!bytes.isEmpty)
                default: break
                }
            }
        }
        // The client's first flight is one ClientHello (handshake type 1) at the Initial level only.
        #expect(pair.clientRecord.data(at: .initial).first == 0x01)
        #expect(pair.serverRecord.data(at: .initial).first == 0x02)   // ServerHello
        #expect(!pair.serverRecord.data(at: .handshake).isEmpty)
        #expect(!pair.clientRecord.data(at: .handshake).isEmpty)      // client Finished
        #expect(pair.clientRecord.data(at: .application).isEmpty)
    }

    @Test func postHandshakeNewSessionTicketIsProcessed() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files), server: .testServer(files))
        pair.run()
        #expect(pair.bothComplete)
        // The server sends NewSessionTicket (type 4) in 1-RTT CRYPTO frames after completing
        // (RFC 9001 §4.1.3); the completed client takes it through SSL_process_quic_post_handshake.
        let tickets = pair.serverRecord.data(at: .application)
        #expect(tickets.first == 0x04)
        #expect(pair.clientRecord.error == nil)
        // Tickets are independent messages: more of them later are processed the same way.
        try pair.client.handle(cryptoData: tickets, level: .application)
        #expect(pair.client.pollOutput() == nil)
    }

    @Test func serverPreferenceChoosesTheProtocol() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files, alpn: ["ztna-tunnel-v1", "ztna-v1"]),
                               server: .testServer(files, alpn: ["ztna-v1", "ztna-tunnel-v1"]))
        pair.run()
        #expect(pair.bothComplete)
        // RFC 7301 §3.2: the server picks, in its own preference order, among what the client offered.
        #expect(pair.client.negotiatedALPN == "ztna-v1")
        #expect(pair.server.negotiatedALPN == "ztna-v1")
    }

    @Test func emptyTransportParametersAreRefused() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let context = try TLSContext(configuration: .testServer(files))
        #expect(throws: TLSError.self) {
            _ = try TLSSession(context: context, serverName: nil, transportParameters: [])
        }
    }

    @Test func startIsIdempotentAndANoOpOnServers() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files), server: .testServer(files))
        try pair.server.start()
        #expect(pair.server.pollOutput() == nil)
        try pair.client.start()
        let first = try #require(pair.client.pollOutput())
        guard case .handshakeData(.initial, let hello) = first else {
            Issue.record("expected the ClientHello, got \(first)")
            return
        }
        #expect(hello.first == 0x01)
        #expect(pair.client.pollOutput() == nil)
        try pair.client.start()
        #expect(pair.client.pollOutput() == nil)
    }
}
