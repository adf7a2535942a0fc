import Testing
import ZTNAProtocol
@testable import ZTNAConfig

/// `--forward [udp:|tcp:]LISTEN=SERVICE:PORT` (DESIGN.md §5) and the default virtual IPs of forwarded services.
@Suite struct ForwardFlagTests {
    @Test func tcpIsTheDefaultAndUDPTakesAPrefix() throws {
        let tcp = try ForwardConfig.parse(flag: "127.0.0.1:8080=web:80").get()
        #expect(tcp == ForwardConfig(listen: HostPort(host: "127.0.0.1", port: 8080), service: ServiceID("web")!,
                                     port: 80, protocol: .tcp))
        let udp = try ForwardConfig.parse(flag: "udp:[::1]:5353=dns:53").get()
        #expect(udp.protocol == .udp && udp.listen == HostPort(host: "::1", port: 5353) && udp.port == 53)
        #expect(try ForwardConfig.parse(flag: "tcp:127.0.0.1:0=db-main:5432").get().listen.port == 0)
    }

    @Test(arguments: ["127.0.0.1:8080", "127.0.0.1:8080=web", "127.0.0.1:8080=web:0", "127.0.0.1:8080=Web!:80",
                      "=web:80", "127.0.0.1:99999=web:80", "::1:80=web:80", "127.0.0.1:8080=web:http"])
    func malformedForwardsSayWhy(_ text: String) {
        guard case .failure(let error) = ForwardConfig.parse(flag: text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(!error.reason.isEmpty)
    }

    @Test func forwardedServicesGetTheLowestFreePoolAddresses() throws {
        let forwards = try ["127.0.0.1:1=web:80", "127.0.0.1:2=db:5432", "127.0.0.1:3=web:443"].map {
            try ForwardConfig.parse(flag: $0).get()
        }
        let configured = [AgentService(id: ServiceID("db")!, virtualIP: IPAddressLiteral("10.100.0.1")!)]
        let services = AgentService.completing(configured, forwards: forwards)
        #expect(services.map(\.id.description) == ["db", "web"])
        #expect(services.map(\.virtualIP.description) == ["10.100.0.1", "10.100.0.2"])
    }
}
