import Foundation
import QUICTLS
import QUICTestFixtures

/// What one side of a ``TLSPair`` emitted, and how it failed.
struct TLSSideRecord {
    var outputs: [TLSOutput] = []
    var error: TLSError?

    /// The secret this side installed for reading (`isRead`) or writing at `level`.
    func secret(_ level: TLSEncryptionLevel, isRead: Bool) -> (suite: UInt16, secret: [UInt8])? {
        for output in outputs {
            switch output {
            case .readSecret(let l, let suite, let secret) where isRead && l == level: return (suite, secret)
            case .writeSecret(let l, let suite, let secret) where !isRead && l == level: return (suite, secret)
            default: continue
            }
        }
        return nil
    }

    /// All handshake bytes this side sent at `level`.
    func data(at level: TLSEncryptionLevel) -> [UInt8] {
        outputs.reduce(into: []) { bytes, output in
            if case .handshakeData(let l, let data) = output, l == level { bytes += data }
        }
    }
}

/// A client and a server session wired back to back in memory: every handshake byte one side emits at a
/// level is fed to the other side at the same level, until neither has anything left to say.
final class TLSPair {
    let client: TLSSession
    let server: TLSSession
    private(set) var clientRecord = TLSSideRecord()
    private(set) var serverRecord = TLSSideRecord()

    static let clientParameters: [UInt8] = [0x01, 0x02, 0x40, 0x64]   // max_idle_timeout = 100
    static let serverParameters: [UInt8] = [0x03, 0x02, 0x45, 0xC0]   // max_udp_payload_size = 1472

    convenience init(client: TLSConfiguration, server: TLSConfiguration, serverName: String? = "localhost") throws {
        try self.init(clientContext: TLSContext(configuration: client), serverContext: TLSContext(configuration: server),
                      serverName: serverName)
    }

    init(clientContext: TLSContext, serverContext: TLSContext, serverName: String? = "localhost") throws {
        self.client = try TLSSession(context: clientContext, serverName: serverName,
                                     transportParameters: Self.clientParameters)
        self.server = try TLSSession(context: serverContext, serverName: nil,
                                     transportParameters: Self.serverParameters)
    }

    var bothComplete: Bool { client.isHandshakeComplete && server.isHandshakeComplete }

    /// Starts the client and exchanges flights until both sides are quiet (or one failed).
    func run(maxRounds: Int = 10) {
        do { try client.start() } catch { clientRecord.error = error }
        for _ in 0..<maxRounds {
            let fromClient = pump(client, into: &clientRecord, to: server, peerRecord: &serverRecord)
            let fromServer = pump(server, into: &serverRecord, to: client, peerRecord: &clientRecord)
            if !fromClient && !fromServer { return }
        }
    }

    /// Drains `source`, recording its outputs and delivering its handshake data; returns whether any moved.
    private func pump(_ source: TLSSession, into record: inout TLSSideRecord,
                      to destination: TLSSession, peerRecord: inout TLSSideRecord) -> Bool {
        var moved = false
        while let output = source.pollOutput() {
            record.outputs.append(output)
            guard case .handshakeData(let level, let bytes) = output, peerRecord.error == nil else { continue }
            moved = true
            do { try destination.handle(cryptoData: bytes, level: level) } catch { peerRecord.error = error }
        }
        return moved
    }
}

// MARK: - Configurations from the test fixtures

extension TLSConfiguration {
    /// A server with the fixture server certificate (localhost, 127.0.0.1, relay.test) and ALPN `ztna-v1`.
    static func testServer(_ files: TestCertificates.Files, alpn: [String] = ["ztna-v1"]) -> TLSConfiguration {
        var configuration = TLSConfiguration(role: .server, alpn: alpn)
        configuration.certificateChainFile = files.serverCertificate
        configuration.privateKeyFile = files.serverPrivateKey
        configuration.trustRootsFile = files.caCertificate
        return configuration
    }

    /// A client trusting the fixture CA, offering ALPN `ztna-v1`, without a certificate.
    static func testClient(_ files: TestCertificates.Files, alpn: [String] = ["ztna-v1"]) -> TLSConfiguration {
        var configuration = TLSConfiguration(role: .client, alpn: alpn)
        configuration.trustRootsFile = files.caCertificate
        return configuration
    }
}

// MARK: - PEM

enum PEM {
    /// The DER bytes of the first PEM block in `pem`.
    static func der(_ pem: String) -> [UInt8] {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Array(Data(base64Encoded: body) ?? Data())
    }
}
