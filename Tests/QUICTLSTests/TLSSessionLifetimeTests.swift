@testable import QUICTLS
import QUICTestFixtures
import Testing

/// Sessions and contexts free their BoringSSL objects: the callbacks hold no reference that could keep
/// them alive (the session pointer in ex_data is unretained and only set during calls).
@Suite struct TLSSessionLifetimeTests {
    @Test func sessionsAndContextsAreReleasedAfterAHandshake() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        weak var client: TLSSession?
        weak var server: TLSSession?
        weak var context: TLSContext?
        do {
            let pair = try TLSPair(client: .testClient(files), server: .testServer(files))
            pair.run()
            #expect(pair.bothComplete)
            client = pair.client
            server = pair.server
            context = pair.client.context
        }
        #expect(client == nil)
        #expect(server == nil)
        #expect(context == nil)
    }

    @Test func aContextOutlivesItsSessionsOnlyAsLongAsTheyNeedIt() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        weak var context: TLSContext?
        var session: TLSSession?
        do {
            let shared = try TLSContext(configuration: .testClient(files))
            context = shared
            session = try TLSSession(context: shared, serverName: "localhost", transportParameters: [1, 0])
        }
        // The session keeps the context (and its SSL_CTX) alive while it exists.
        #expect(context != nil)
        try session?.start()
        #expect(session?.pollOutput() != nil)
        session = nil
        #expect(context == nil)
    }
}
