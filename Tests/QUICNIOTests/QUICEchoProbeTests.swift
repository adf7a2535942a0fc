import NIOCore
import QUICCore
import QUICNIO
import QUICTLS
import QUICTestFixtures
import Testing

@Suite("QUICEchoProbe")
struct QUICEchoProbeTests {
    @Test func datagramPayloadCarriesItsSequenceNumber() {
        let payload = QUICEchoProbe.datagramPayload(sequence: 0x0102_0304, size: 10)
        #expect(payload.count == 10)
        #expect(Array(payload.prefix(4)) == [1, 2, 3, 4])
        #expect(payload != QUICEchoProbe.datagramPayload(sequence: 0x0102_0305, size: 10))
        #expect(payload == QUICEchoProbe.datagramPayload(sequence: 0x0102_0304, size: 10))
    }

    @Test func reportIsOneLineOfJSONInContractOrder() {
        var report = QUICEchoProbeReport()
        report.handshakeMilliseconds = 12.3456
        report.alpn = "hq"
        report.error = "bad \"quote\"\nnext\u{1}"
        #expect(report.jsonLine == #"{"ok":false,"handshakeMs":12.346,"alpn":"hq","cipher":null,"group":null,"#
            + #""datagramsSent":0,"datagramsEchoed":0,"streamBytesSent":0,"streamBytesEchoed":0,"keyUpdates":0,"#
            + #""error":"bad \"quote\"\nnext\u0001"}"#)
    }

    @Test func probeVerifiesAnEchoServer() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        var probe = QUICEchoProbe(datagramCount: 150, datagramSize: 700, streamBytes: 250_000, timeout: .seconds(30))
        // The whole suite runs in parallel on two cores in debug builds: event loops can stall for over a second.
        probe.datagramGracePeriod = .seconds(8)
        let report = await probe.run(to: server.localAddress, serverName: "localhost",
                                     configuration: try setup.clientConfiguration(cipherSuites: [0x1302]))
        #expect(report.error == nil)
        #expect(report.ok)
        #expect(report.cipher == "TLS_AES_256_GCM_SHA384")
        #expect(report.group == "X25519MLKEM768")
        #expect(report.datagramsSent == 150)
        #expect(report.datagramsEchoed >= 143)
        #expect(report.datagramsMismatched == 0)
        #expect(report.streamBytesSent == 250_000)
        #expect(report.streamBytesEchoed == 250_000)
        await server.close()
    }

    /// Handshake only: the probe still learns that the server refused our (missing) certificate.
    @Test func handshakeOnlyProbeSeesALateCertificateRefusal() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer(clientAuthentication: .required)
        let refused = await QUICEchoProbe(timeout: .seconds(10)).run(
            to: server.localAddress, serverName: "localhost", configuration: try setup.clientConfiguration())
        #expect(!refused.ok)
        #expect(refused.error?.contains("0x174") == true)   // CRYPTO_ERROR, certificate_required (116)
        let accepted = await QUICEchoProbe(timeout: .seconds(10)).run(
            to: server.localAddress, serverName: "localhost",
            configuration: try setup.clientConfiguration(withCertificate: true))
        #expect(accepted.ok)
        #expect(accepted.error == nil)
        await server.close()
    }

    /// A server that accepts but discards (it ends our stream without echoing): the probe reports the shortfall.
    @Test func probeFailsAgainstASilentServer() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await QUICServer.bind(port: 0, configuration: try setup.serverEndpointConfiguration())
        let sink = Task {
            await withDiscardingTaskGroup { group in
                for await connection in server.connections { group.addTask { await connection.runDiscard() } }
            }
        }
        // The time limit covers the handshake too: a loaded machine running the whole suite in parallel has
        // taken more than 2 s to get there (streamBytesSent was 0), so the limit leaves room for that.
        let probe = QUICEchoProbe(datagramCount: 0, datagramSize: 0, streamBytes: 10_000, timeout: .seconds(6))
        let report = await probe.run(to: server.localAddress, serverName: "localhost",
                                     configuration: try setup.clientConfiguration())
        #expect(!report.ok)
        #expect(report.streamBytesSent == 10_000)
        #expect(report.streamBytesEchoed == 0)
        #expect(report.error != nil)
        await server.close()
        await sink.value
    }

    @Test func probeReportsAnUntrustedServer() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        var tls = TLSConfiguration(role: .client, alpn: [testALPN])
        tls.trustRootsFile = setup.files.otherCACertificate   // not the CA that signed the server
        let report = await QUICEchoProbe(streamBytes: 100).run(
            to: server.localAddress, serverName: "localhost",
            configuration: QUICConfiguration(tls: try TLSContext(configuration: tls)))
        #expect(!report.ok)
        #expect(report.handshakeMilliseconds == nil)
        #expect(report.error?.contains("handshake failed") == true)
        await server.close()
    }
}
