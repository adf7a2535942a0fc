import Testing
import ZTNAProtocol
@testable import ZTNAConfig

@Suite struct ConnectorConfigTests {
    @Test func designExampleDecodes() throws {
        let config = try decode(ConnectorConfig.self, """
            { "relays": ["relay.example.com:4433"], "listen": "0.0.0.0:4434",
              "identity": { "certificate": "c", "privateKey": "k", "trustRoots": "ca" }, "admin": "127.0.0.1:9091",
              "services": [ { "id": "web",  "ports": [ { "port": 80, "protocol": "tcp", "backend": "127.0.0.1:8080" } ] },
                            { "id": "echo", "ports": [ { "port": 7,  "protocol": "udp", "backend": "[::1]:9999" } ], "icmp": true } ] }
            """)
        #expect(config.relays == [HostPort(host: "relay.example.com", port: 4433)])
        #expect(config.services.map(\.id) == [ServiceID("web")!, ServiceID("echo")!])
        #expect(config.services[0].ports == [ServicePort(port: 80, protocol: .tcp, backend: HostPort(host: "127.0.0.1", port: 8080))])
        #expect(!config.services[0].icmp)
        #expect(config.services[1].icmp)
        #expect(config.services[1].ports[0].backend == HostPort(host: "::1", port: 9999))
    }

    @Test func defaults() throws {
        let config = try decode(ConnectorConfig.self, "{}")
        #expect(config.listen.description == "0.0.0.0:4434")
        #expect(config.admin.description == "127.0.0.1:9091")
        #expect(config.relays.isEmpty && config.services.isEmpty)
    }

    @Test func errorsNameTheKeyPath() {
        #expect(configError(ConnectorConfig.self, #"{ "services": [ { "id": "Web", "icmp": true } ] }"#)?.description
            == #"test.json: services[0].id: "Web" is not a service id (1–63 of a-z, 0-9, '-', not starting or ending with '-')"#)
        #expect(configError(ConnectorConfig.self,
            #"{ "services": [ { "id": "web", "ports": [ { "port": 0, "protocol": "tcp", "backend": "b:1" } ] } ] }"#)?.description
            == "test.json: services[0].ports[0].port: must be 1–65535, not 0")
        #expect(configError(ConnectorConfig.self,
            #"{ "services": [ { "id": "web", "ports": [ { "port": 80, "protocol": "sctp", "backend": "b:1" } ] } ] }"#)?.description
            == #"test.json: services[0].ports[0].protocol: "sctp" is not "tcp" or "udp""#)
        #expect(configError(ConnectorConfig.self,
            #"{ "services": [ { "id": "web", "ports": [ { "port": 80, "protocol": "tcp" } ] } ] }"#)?.description
            == #"test.json: missing key "services[0].ports[0].backend""#)
        #expect(configError(ConnectorConfig.self,
            #"{ "services": [ { "id": "web", "ports": [ { "port": 80, "protocol": "tcp", "backend": "b:1", "weight": 2 } ] } ] }"#)?.description
            == #"test.json: unknown key "services[0].ports[0].weight""#)
        #expect(configError(ConnectorConfig.self, #"{ "relays": ["relay.example.com"] }"#)?.description
            == #"test.json: relays[0]: "relay.example.com": expected host:port"#)
    }

    @Test func duplicatesAndEmptyServicesAreRejected() {
        #expect(configError(ConnectorConfig.self,
            #"{ "services": [ { "id": "web", "icmp": true }, { "id": "web", "icmp": true } ] }"#)?.description
            == #"test.json: services[1].id: duplicate service id "web""#)
        #expect(configError(ConnectorConfig.self, #"{ "services": [ { "id": "web" } ] }"#)?.keyPath == "services[0].ports")
        #expect(configError(ConnectorConfig.self, """
            { "services": [ { "id": "web", "ports": [ { "port": 80, "protocol": "tcp", "backend": "a:1" },
                                                      { "port": 80, "protocol": "udp", "backend": "a:1" },
                                                      { "port": 80, "protocol": "tcp", "backend": "b:1" } ] } ] }
            """)?.description == "test.json: services[0].ports[2]: duplicate tcp port 80")
    }
}
