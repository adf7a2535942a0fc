import Testing
import ZTNAProtocol
@testable import ZTNAConfig

@Suite struct AgentConfigTests {
    @Test func designExampleDecodes() throws {
        let config = try decode(AgentConfig.self, """
            { "relays": ["relay.example.com:4433"], "identity": { "certificate": "c" }, "admin": "127.0.0.1:9092",
              "tun": { "name": "ztna0", "mtu": 1280, "address": "10.100.0.254" },
              "services": [ { "id": "web", "virtualIP": "10.100.0.2" }, { "id": "echo", "virtualIP": "fd00::1" } ],
              "forwards": [ { "listen": "127.0.0.1:8080", "service": "web", "port": 80, "protocol": "tcp" },
                            { "listen": "[::1]:7000", "service": "echo", "port": 7, "protocol": "udp" } ] }
            """)
        #expect(config.tun == TunConfig(name: "ztna0", mtu: 1280, address: IPAddressLiteral("10.100.0.254")))
        #expect(config.services[1].virtualIP.description == "fd00::1")
        #expect(config.services[1].virtualIP.bytes.count == 16)
        #expect(config.forwards[1] == ForwardConfig(listen: HostPort(host: "::1", port: 7000), service: ServiceID("echo")!, port: 7, protocol: .udp))
        #expect(config.identity.missingKeys == ["identity.privateKey", "identity.trustRoots"])
    }

    @Test func defaults() throws {
        let config = try decode(AgentConfig.self, "{}")
        #expect(config.tun == nil)                        // port-forward mode only
        #expect(config.admin.description == "127.0.0.1:9092")
        let tun = try decode(AgentConfig.self, #"{ "tun": {} }"#).tun
        #expect(tun == TunConfig(name: "ztna0", mtu: 1280, address: nil))
        let forward = try decode(AgentConfig.self, """
            { "services": [ { "id": "web", "virtualIP": "10.100.0.2" } ],
              "forwards": [ { "listen": "127.0.0.1:8080", "service": "web", "port": 80 } ] }
            """).forwards[0]
        #expect(forward.protocol == .tcp)
    }

    @Test func virtualIPMustBeAnAddress() {
        #expect(configError(AgentConfig.self, """
            { "services": [ { "id": "web", "virtualIP": "10.100.0.2" }, { "id": "echo", "virtualIP": "10.100.0" } ] }
            """, file: "agent.json")?.description == #"agent.json: services[1].virtualIP: "10.100.0" is not an IP address"#)
    }

    @Test func forwardsMustReferenceDeclaredServices() {
        #expect(configError(AgentConfig.self, """
            { "services": [ { "id": "web", "virtualIP": "10.100.0.2" } ],
              "forwards": [ { "listen": "127.0.0.1:8080", "service": "db", "port": 5432 } ] }
            """)?.description == #"test.json: forwards[0].service: service "db" is not declared in "services""#)
    }

    @Test func clashesAreRejected() {
        #expect(configError(AgentConfig.self, """
            { "services": [ { "id": "web", "virtualIP": "10.100.0.2" }, { "id": "db", "virtualIP": "10.100.0.2" } ] }
            """)?.keyPath == "services[1].virtualIP")
        #expect(configError(AgentConfig.self, """
            { "tun": { "address": "10.100.0.2" }, "services": [ { "id": "web", "virtualIP": "10.100.0.2" } ] }
            """)?.keyPath == "services[0].virtualIP")
        #expect(configError(AgentConfig.self, """
            { "services": [ { "id": "web", "virtualIP": "10.100.0.2" } ],
              "forwards": [ { "listen": "127.0.0.1:8080", "service": "web", "port": 80 },
                            { "listen": "127.0.0.1:8080", "service": "web", "port": 81 } ] }
            """)?.keyPath == "forwards[1].listen")
    }

    @Test func tunIsValidated() {
        #expect(configError(AgentConfig.self, #"{ "tun": { "mtu": 100 } }"#)?.description == "test.json: tun.mtu: 100 is outside 576–65535")
        #expect(configError(AgentConfig.self, #"{ "tun": { "mtu": 1000, "address": "fd00::fe" } }"#)?.keyPath == "tun.mtu")
        #expect(configError(AgentConfig.self, #"{ "tun": { "name": "a/b" } }"#)?.keyPath == "tun.name")
        #expect(configError(AgentConfig.self, #"{ "tun": { "name": "sixteen-chars-xx" } }"#)?.keyPath == "tun.name")
        #expect(configError(AgentConfig.self, #"{ "tun": { "mtu": 1280, "Address": "10.0.0.1" } }"#)?.description
            == #"test.json: unknown key "tun.Address""#)
    }

    @Test func encodesBackToTheSameConfig() throws {
        let json = """
            { "relays": ["relay.example.com:4433"], "tun": { "address": "10.100.0.254" },
              "services": [ { "id": "web", "virtualIP": "10.100.0.2" } ],
              "forwards": [ { "listen": "[::1]:8080", "service": "web", "port": 80, "protocol": "udp" } ] }
            """
        let config = try decode(AgentConfig.self, json)
        let encoded = try JSONEncoderForTests.encode(config)
        #expect(try decode(AgentConfig.self, encoded) == config)
    }
}
