import Testing
@testable import ZTNAConfig

@Suite struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:80", "127.0.0.1", 80), ("[::1]:80", "::1", 80), ("relay.example.com:4433", "relay.example.com", 4433),
        ("localhost:65535", "localhost", 65535), ("[fd00::1]:1", "fd00::1", 1), ("backend.:8080", "backend.", 8080),
    ])
    func valid(_ text: String, _ host: String, _ port: Int) throws {
        let value = try #require(HostPort(text))
        #expect(value.host == host)
        #expect(Int(value.port) == port)
        #expect(HostPort(value.description) == value)
    }

    @Test(arguments: [
        "127.0.0.1", "::1:80", "[::1]80", "[::1:80", "[10.0.0.1]:80", "host:0", "host:65536", "host:-1", ":80",
        "bad host:80", "-x.example:80", "a..b:80", "host:http", "",
    ])
    func invalid(_ text: String) {
        #expect(HostPort(text) == nil)
    }

    @Test func ipLiteralDetection() {
        #expect(HostPort("10.0.0.1:1")?.isIPLiteral == true)
        #expect(HostPort("[::1]:1")?.isIPLiteral == true)
        #expect(HostPort("example.com:1")?.isIPLiteral == false)
    }

    @Test func ipAddressLiterals() {
        #expect(IPAddressLiteral("10.100.0.2")?.bytes == [10, 100, 0, 2])
        #expect(IPAddressLiteral("FD00:0:0::2")?.description == "fd00::2")
        for bad in ["10.1", "256.0.0.1", "fe80::1%eth0", "example.com", "", " 10.0.0.1"] {
            #expect(IPAddressLiteral(bad) == nil, "\(bad)")
        }
    }
}
