import Testing
@testable import ZTNAConfig

@Suite struct RelayConfigTests {
    @Test func designExampleDecodes() throws {
        let config = try RelayConfig(json: Array("""
            { "listen": "0.0.0.0:4433",
              "identity": { "certificate": "/etc/ztna/relay.example.com.crt", "privateKey": "/etc/ztna/relay.example.com.key",
                            "trustRoots": "/etc/ztna/ca.crt" },
              "admin": "127.0.0.1:9090", "retry": "always", "retryTokenKey": "/etc/ztna/retry.key",
              "revocationList": "/etc/ztna/revoked.txt" }
            """.utf8), file: "relay.json")
        #expect(config.listen == HostPort(host: "0.0.0.0", port: 4433))
        #expect(config.identity.privateKey == "/etc/ztna/relay.example.com.key")
        #expect(config.identity.missingKeys.isEmpty)
        #expect(config.retry == .always)
        #expect(config.retryTokenKey == "/etc/ztna/retry.key")
        #expect(config.revocationList == "/etc/ztna/revoked.txt")
    }

    @Test func emptyObjectTakesDefaults() throws {
        let config = try decode(RelayConfig.self, "{}")
        #expect(config == RelayConfig())
        #expect(config.listen.description == "0.0.0.0:4433")
        #expect(config.admin.description == "127.0.0.1:9090")
        #expect(config.retry == .auto)
        #expect(config.identity.missingKeys == ["identity.certificate", "identity.privateKey", "identity.trustRoots"])
    }

    @Test func unknownKeysAtAnyLevelAreNamed() {
        #expect(configError(RelayConfig.self, #"{ "identity": { "privatekey": "k" } }"#, file: "relay.json")?.description
            == #"relay.json: unknown key "identity.privatekey""#)
        #expect(configError(RelayConfig.self, #"{ "listen": "0.0.0.0:1", "Retry": "auto" }"#, file: "relay.json")?.description
            == #"relay.json: unknown key "Retry""#)
    }

    @Test func badValuesAreNamed() {
        #expect(configError(RelayConfig.self, #"{ "retry": "sometimes" }"#)?.description
            == #"test.json: retry: "sometimes" is not one of "auto", "always", "never""#)
        #expect(configError(RelayConfig.self, #"{ "listen": "0.0.0.0:70000" }"#)?.description
            == #"test.json: listen: "0.0.0.0:70000": port "70000" is not 1–65535"#)
        #expect(configError(RelayConfig.self, #"{ "admin": 9090 }"#)?.description == "test.json: admin: expected a string")
        #expect(configError(RelayConfig.self, #"{ "identity": "x" }"#)?.kind == .wrongType)
        #expect(configError(RelayConfig.self, #"{ "revocationList": "" }"#)?.description
            == "test.json: revocationList: must not be empty")
    }

    @Test func notJSONAndNotAnObject() {
        #expect(configError(RelayConfig.self, "{ listen: }")?.kind == .syntax)
        #expect(configError(RelayConfig.self, "[]")?.kind == .wrongType)
    }
}
