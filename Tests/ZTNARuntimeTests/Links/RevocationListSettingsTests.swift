import Foundation
import QUICTLS
import Testing
import ZTNAConfig
import ZTNAIdentity
@testable import ZTNARuntime

/// The optional `"revocationList"` key of connector.json and agent.json (DESIGN.md §7): decoded strictly,
/// carried into the settings, and loaded (or refused, naming the file and line) with the node's credentials.
@Suite struct RevocationListSettingsTests {
    static let identity = #""identity": { "certificate": "c.crt", "privateKey": "c.key", "trustRoots": "ca.crt" }"#

    @Test func connectorJSONCarriesTheKeyIntoTheSettings() throws {
        let json = """
            { "relays": ["relay.example.com:4433"], \(Self.identity), "revocationList": "/etc/ztna/revoked.txt",
              "services": [ { "id": "web", "ports": [ { "port": 80, "protocol": "tcp", "backend": "127.0.0.1:8080" } ] } ] }
            """
        let config = try ConnectorConfig(json: Array(json.utf8), file: "connector.json")
        #expect(config.revocationList == "/etc/ztna/revoked.txt")
        #expect(try ConnectorSettings(config: config, file: "connector.json").revocationList == "/etc/ztna/revoked.txt")
        // Optional: absent means no list.
        let without = try ConnectorConfig(json: Array(#"{ "relays": ["r:1"] }"#.utf8), file: "connector.json")
        #expect(without.revocationList == nil)
    }

    @Test func agentJSONCarriesTheKeyIntoTheSettings() throws {
        let json = """
            { "relays": ["relay.example.com:4433"], \(Self.identity), "revocationList": "/etc/ztna/revoked.txt",
              "services": [ { "id": "web", "virtualIP": "10.100.0.2" } ],
              "forwards": [ { "listen": "127.0.0.1:8080", "service": "web", "port": 80, "protocol": "tcp" } ] }
            """
        let config = try AgentConfig(json: Array(json.utf8), file: "agent.json")
        #expect(config.revocationList == "/etc/ztna/revoked.txt")
        #expect(try AgentSettings(config: config, file: "agent.json", noTun: true).revocationList == "/etc/ztna/revoked.txt")
        #expect(try AgentConfig(json: Array("{}".utf8), file: "agent.json").revocationList == nil)
    }

    @Test func misspelledOrEmptyKeysAreRefused() {
        #expect(Self.error { _ = try ConnectorConfig(json: Array(#"{ "revocationlist": "r.txt" }"#.utf8), file: "connector.json") }
            == #"connector.json: unknown key "revocationlist""#)
        #expect(Self.error { _ = try AgentConfig(json: Array(#"{ "revocationList": "" }"#.utf8), file: "agent.json") }
            == "agent.json: revocationList: must not be empty")
    }

    @Test func credentialsLoadTheListOrNameTheBrokenLine() throws {
        let deployment = try ThrowawayDeployment.create()
        defer { deployment.remove() }
        let node = try deployment.issue(.connector, name: "east", services: .all)
        let list = deployment.directory + "/revoked.txt"
        try "# revoked\n0A:1B:2C\nff # trailing comment\n".write(toFile: list, atomically: true, encoding: .utf8)
        let loaded = try NodeCredentials.load(certificate: node.certificate, privateKey: node.privateKey,
                                              trustRoots: deployment.caCertificate, revocationList: list,
                                              tunnelRole: .server)
        #expect(loaded.revocations.serials == ["a1b2c", "ff"])
        let none = try NodeCredentials.load(certificate: node.certificate, privateKey: node.privateKey,
                                            trustRoots: deployment.caCertificate, tunnelRole: .server)
        #expect(none.revocations.serials.isEmpty)

        try "0a1b\nnot-a-serial\n".write(toFile: list, atomically: true, encoding: .utf8)
        #expect(throws: StartupError.self) {
            try NodeCredentials.load(certificate: node.certificate, privateKey: node.privateKey,
                                     trustRoots: deployment.caCertificate, revocationList: list, tunnelRole: .client)
        }
        do {
            _ = try NodeCredentials.load(certificate: node.certificate, privateKey: node.privateKey,
                                         trustRoots: deployment.caCertificate, revocationList: list, tunnelRole: .client)
        } catch {
            #expect(error.message.hasPrefix("\(list):2: not a hexadecimal certificate serial"), "\(error.message)")
        }
    }

    /// The one-line description of the `ConfigError` `body` throws.
    private static func error(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as ConfigError {
            return error.description
        } catch {
            return "not a ConfigError: \(error)"
        }
    }
}
