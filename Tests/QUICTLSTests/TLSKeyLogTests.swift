import Foundation
@testable import QUICTLS
import QUICTestFixtures
import Testing

/// SSLKEYLOGFILE output (RFC 9850), written only when a file is configured.
@Suite struct TLSKeyLogTests {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    @Test func keyLogFileReceivesTheTrafficSecrets() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let path = files.directory.appendingPathComponent("keys.log").path
        var client = TLSConfiguration.testClient(files)
        client.keyLogFile = path
        let pair = try TLSPair(client: client, server: .testServer(files))
        pair.run()
        #expect(pair.bothComplete)

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        var secrets: [String: String] = [:]
        for line in lines {
            let fields = line.split(separator: " ").map(String.init)
            #expect(fields.count == 3, "\(line.prefix(40))")
            guard fields.count == 3 else { continue }
            #expect(fields[1].count == 64)   // the 32-byte client random, hex
            secrets[fields[0]] = fields[2]
        }
        // The logged secrets are exactly the ones handed to QUIC.
        let handshakeWrite = try #require(pair.clientRecord.secret(.handshake, isRead: false))
        let handshakeRead = try #require(pair.clientRecord.secret(.handshake, isRead: true))
        let applicationWrite = try #require(pair.clientRecord.secret(.application, isRead: false))
        let applicationRead = try #require(pair.clientRecord.secret(.application, isRead: true))
        #expect(secrets["CLIENT_HANDSHAKE_TRAFFIC_SECRET"] == hex(handshakeWrite.secret))
        #expect(secrets["SERVER_HANDSHAKE_TRAFFIC_SECRET"] == hex(handshakeRead.secret))
        #expect(secrets["CLIENT_TRAFFIC_SECRET_0"] == hex(applicationWrite.secret))
        #expect(secrets["SERVER_TRAFFIC_SECRET_0"] == hex(applicationRead.secret))

        // Secrets must not be readable by others.
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)
    }

    @Test func nothingIsLoggedUnlessConfigured() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let context = try TLSContext(configuration: .testClient(files))
        #expect(!context.isKeyLogEnabled)
        var logging = TLSConfiguration.testClient(files)
        logging.keyLogFile = files.directory.appendingPathComponent("keys.log").path
        #expect(try TLSContext(configuration: logging).isKeyLogEnabled)

        // A complete handshake without keyLogFile leaves no file behind, even with SSLKEYLOGFILE pointing into
        // the directory: the environment is never consulted.
        let environmentPath = files.directory.appendingPathComponent("env-keys.log").path
        setenv("SSLKEYLOGFILE", environmentPath, 1)
        defer { unsetenv("SSLKEYLOGFILE") }
        let pair = try TLSPair(client: .testClient(files), server: .testServer(files))
        pair.run()
        #expect(pair.bothComplete)
        #expect(!FileManager.default.fileExists(atPath: environmentPath))
        // The configured-but-unused context created its file and wrote nothing into it.
        let unused = try FileManager.default.attributesOfItem(atPath: logging.keyLogFile ?? "")
        #expect((unused[.size] as? Int) == 0)
    }

    @Test func unwritableKeyLogFileIsAConfigurationError() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var client = TLSConfiguration.testClient(files)
        let path = files.directory.appendingPathComponent("missing/keys.log").path
        client.keyLogFile = path
        do {
            _ = try TLSContext(configuration: client)
            Issue.record("an unopenable key log file was accepted")
        } catch {
            #expect(error.message.contains(path))
        }
    }
}
