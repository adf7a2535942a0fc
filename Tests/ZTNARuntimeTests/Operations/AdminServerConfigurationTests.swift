import NIOCore
import Testing
@testable import ZTNARuntime

@Suite("AdminServerConfiguration address checks")
struct AdminServerConfigurationTests {
    @Test(arguments: ["127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"])
    func loopbackAddressesAreAccepted(host: String) throws {
        let address = try AdminServerConfiguration(role: "relay", host: host, port: 9090).validatedBindAddress()
        #expect(address.port == 9090)
    }

    @Test(arguments: ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "2001:db8::1", "::ffff:10.0.0.1"])
    func otherAddressesNeedTheOptIn(host: String) throws {
        let error = #expect(throws: AdminServerError.self) {
            try AdminServerConfiguration(role: "relay", host: host, port: 9090).validatedBindAddress()
        }
        #expect(error?.code == .nonLoopbackRefused)
        let address = try AdminServerConfiguration(role: "relay", host: host, port: 9090, allowNonLoopback: true)
            .validatedBindAddress()
        #expect(address.port == 9090)
    }

    @Test(arguments: ["example.com", "", "127.0.0.1:9090", "[::1", "1.2.3"])
    func namesAndMalformedHostsAreInvalid(host: String) {
        let error = #expect(throws: AdminServerError.self) {
            try AdminServerConfiguration(role: "relay", host: host, port: 9090, allowNonLoopback: true)
                .validatedBindAddress()
        }
        #expect(error?.code == .invalidAddress)
    }

    @Test(arguments: [-1, 65536, 1_000_000])
    func portsOutsideTheRangeAreInvalid(port: Int) {
        let error = #expect(throws: AdminServerError.self) {
            try AdminServerConfiguration(role: "relay", port: port).validatedBindAddress()
        }
        #expect(error?.code == .invalidPort)
    }

    @Test func defaultsAreLoopbackAndTheDesignPorts() {
        #expect(AdminServerConfiguration(role: "relay", port: 1).host == "127.0.0.1")
        #expect(AdminServerConfiguration(role: "relay", port: 1).allowNonLoopback == false)
        #expect(AdminServerConfiguration.defaultRelayPort == 9090)
        #expect(AdminServerConfiguration.defaultConnectorPort == 9091)
        #expect(AdminServerConfiguration.defaultAgentPort == 9092)
    }
}
