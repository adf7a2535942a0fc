import QUICTLS
import QUICTestFixtures
import Testing

/// ALPN is mandatory in QUIC (RFC 9001 §8.1).
@Suite struct TLSALPNTests {
    @Test func noCommonProtocolFailsWithNoApplicationProtocol() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files, alpn: ["h3"]), server: .testServer(files, alpn: ["ztna-v1"]))
        pair.run()
        #expect(!pair.client.isHandshakeComplete)
        #expect(!pair.server.isHandshakeComplete)
        let error = try #require(pair.serverRecord.error)
        #expect(error.alert == 120)
        #expect(error.quicErrorCode == 0x178)
        // The server failed on the ClientHello: it sent nothing back.
        #expect(pair.serverRecord.data(at: .initial).isEmpty)
        #expect(pair.server.negotiatedALPN == nil)
    }

    @Test func afterFailureEveryInputThrowsTheSameError() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let pair = try TLSPair(client: .testClient(files, alpn: ["h3"]), server: .testServer(files))
        pair.run()
        let first = try #require(pair.serverRecord.error)
        let hello = pair.clientRecord.data(at: .initial)
        do {
            try pair.server.handle(cryptoData: hello, level: .initial)
            Issue.record("a failed session accepted more input")
        } catch {
            #expect(error.alert == first.alert)
            #expect(error.message == first.message)
        }
    }

    @Test func emptyOrOversizedProtocolListsAreRejected() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        #expect(throws: TLSError.self) { _ = try TLSContext(configuration: .testClient(files, alpn: [])) }
        #expect(throws: TLSError.self) { _ = try TLSContext(configuration: .testServer(files, alpn: [""])) }
        let long = String(repeating: "a", count: 256)
        #expect(throws: TLSError.self) { _ = try TLSContext(configuration: .testClient(files, alpn: [long])) }
        _ = try TLSContext(configuration: .testClient(files, alpn: [String(repeating: "a", count: 255)]))
    }
}
