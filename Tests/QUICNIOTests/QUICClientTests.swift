import NIOCore
import QUICCore
import QUICNIO
import QUICTLS
import QUICTestFixtures
import Testing

@Suite("QUICClient and QUICServer over loopback UDP")
struct QUICClientTests {
    // MARK: - Handshake

    @Test func handshakeCompletesAndReportsTLSParameters() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await QUICServer.bind(port: 0, configuration: try setup.serverEndpointConfiguration())
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            async let accepted = server.connections.first { _ in true }
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            #expect(connection.isClient)
            #expect(connection.negotiatedALPN == testALPN)
            #expect(connection.negotiatedGroup == "X25519MLKEM768")
            #expect(connection.negotiatedCipherSuite != nil)
            #expect(connection.peerCertificateChain.count >= 1)
            #expect(await connection.remoteAddress == .udp(server.localAddress))

            let serverSide = try #require(await accepted)
            #expect(!serverSide.isClient)
            #expect(serverSide.requestedServerName == "localhost")
            #expect(serverSide.negotiatedALPN == testALPN)
            #expect(serverSide.negotiatedCipherSuite == connection.negotiatedCipherSuite)
            #expect(serverSide.peerCertificateChain.isEmpty)   // no client certificate was asked for

            await connection.close(errorCode: 7, reason: "done")
            let local = QUICCloseError(isApplicationError: true, code: 7, reason: "done")
            #expect(await connection.closed == .local(local))
            // RFC 9000 §10.2: the server learns the application's code and reason from CONNECTION_CLOSE.
            #expect(await serverSide.closed == .peer(local))
            #expect(await serverSide.statistics.packetsReceived > 0)
        }
        await server.close()
    }

    @Test func chaCha20OnlyClientNegotiatesChaCha20() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        let configuration = try setup.clientConfiguration(cipherSuites: [0x1303])
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            #expect(connection.negotiatedCipherSuite == 0x1303)
            // Data flows under ChaCha20-Poly1305 packet protection and its header protection (RFC 9001 §5.4.4).
            let stream = try await connection.openStream()
            try await stream.write(testBytes(count: 10_000), finish: true)
            #expect(try await stream.readAll() == testBytes(count: 10_000))
            await connection.close()
        }
        await server.close()
    }

    @Test func serverWithoutCommonALPNRefusesTheHandshake() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        var tls = TLSConfiguration(role: .client, alpn: ["not-offered"])
        tls.trustRootsFile = setup.files.caCertificate
        let configuration = QUICConfiguration(tls: try TLSContext(configuration: tls))
        try await withTimeout {
            do {
                _ = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                 configuration: configuration)
                Issue.record("the handshake succeeded without a common ALPN protocol")
            } catch let error as QUICNIOError {
                // RFC 9001 §8.1: no_application_protocol (alert 120) → CRYPTO_ERROR 0x178.
                guard case .connectionClosed(.peer(let close)) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(!close.isApplicationError)
                #expect(close.code == 0x100 + 120)
            }
        }
        await server.close()
    }

    // MARK: - Mutual TLS

    @Test func requiredClientCertificateIsAccepted() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await QUICServer.bind(port: 0, configuration: try setup.serverEndpointConfiguration(
            clientAuthentication: .required))
        let configuration = try setup.clientConfiguration(withCertificate: true)
        try await withTimeout {
            async let accepted = server.connections.first { _ in true }
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            let serverSide = try #require(await accepted)
            #expect(serverSide.peerCertificateChain.count >= 1)
            await connection.close()
        }
        await server.close()
    }

    @Test func missingClientCertificateFailsWithThePeersCryptoError() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer(clientAuthentication: .required)
        let configuration = try setup.clientConfiguration(withCertificate: false)
        let reason: QUICCloseReason = try await withTimeout { () async throws -> QUICCloseReason in
            do {
                // TLS 1.3: the client's handshake may complete before the server checks the (absent) certificate.
                let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                              configuration: configuration)
                return await connection.closed
            } catch let error as QUICNIOError {
                guard case .connectionClosed(let reason) = error else { throw error }
                return reason
            }
        }
        guard case .peer(let close) = reason else {
            Issue.record("expected the server's CONNECTION_CLOSE, got \(reason)")
            return
        }
        // RFC 9001 §4.8: a TLS alert is CRYPTO_ERROR 0x100 + alert (certificate_required, 116, in TLS 1.3).
        #expect(!close.isApplicationError)
        #expect((0x100...0x1ff).contains(close.code))
        await server.close()
    }

    // MARK: - Retry

    @Test func retryIsSentAndItsTokenValidated() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer(retry: .always)
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            let stream = try await connection.openStream()
            try await stream.write(Array("after retry".utf8), finish: true)
            #expect(try await stream.readAll() == Array("after retry".utf8))
            await connection.close()
        }
        let statistics = await server.statistics
        // RFC 9000 §8.1.2: every tokenless Initial datagram is answered with a Retry (the X25519MLKEM768
        // ClientHello spans two datagrams, so there may be two; the client accepts only the first, §17.2.5.2),
        // then the client's Initial with the token proves its address and creates exactly one connection.
        #expect(statistics.retriesSent >= 1)
        #expect(statistics.retryTokensValidated == 1)
        #expect(statistics.retryTokensRejected == 0)
        await server.close()
    }

    // MARK: - Endpoint shutdown

    @Test func closingTheServerClosesItsConnectionsGracefully() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            let stream = try await connection.openStream()
            try await stream.write([1, 2, 3])
            #expect(try await stream.read() == [1, 2, 3])
            await server.close()
            // The server's CONNECTION_CLOSE reached us: application error 0 (RFC 9000 §10.2).
            guard case .peer(let close) = await connection.closed else {
                Issue.record("expected the server's CONNECTION_CLOSE")
                return
            }
            #expect(close.isApplicationError && close.code == 0)
            // A waiting read ends with the close reason instead of hanging.
            do throws(QUICNIOError) {
                _ = try await stream.read()
                Issue.record("read succeeded on a closed connection")
            } catch {
                guard case .connectionClosed(.peer) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
            }
            // The datagram stream has finished.
            var iterator = connection.datagrams.makeAsyncIterator()
            #expect(await iterator.next() == nil)
        }
        #expect(await server.endpoint.connectionCount == 0)
        // A closed endpoint refuses new connections.
        let lateConfiguration = try setup.clientConfiguration()
        do throws(QUICNIOError) {
            _ = try await server.endpoint.connect(to: server.localAddress, serverName: "localhost",
                                                  configuration: lateConfiguration)
            Issue.record("a closed endpoint started a connection")
        } catch {
            guard case .endpointClosed = error else {
                Issue.record("unexpected error \(error)")
                return
            }
        }
    }
}
