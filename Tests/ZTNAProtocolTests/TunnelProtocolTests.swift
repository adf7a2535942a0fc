import Testing
import ZTNAProtocol

/// DESIGN.md §4: TCP_CONNECT request and status, ALPN, tunnel SNI.
@Suite struct TunnelProtocolTests {
    @Test func connectRequestEncoding() throws {
        #expect(TCPConnectRequest(port: 80).bytes == [0x01, 0x00, 0x50])
        #expect(TCPConnectRequest(port: 0xFFFF).bytes == [0x01, 0xFF, 0xFF])
        #expect(try TCPConnectRequest(parsing: [0x01, 0x1F, 0x90]) == TCPConnectRequest(port: 8080))
        for port: UInt16 in [0, 1, 443, 65535] {
            #expect(try TCPConnectRequest(parsing: TCPConnectRequest(port: port).bytes).port == port)
        }
    }

    @Test func connectRequestErrors() throws {
        #expect(throws: TunnelMessageError.truncated) { try TCPConnectRequest(parsing: []) }
        #expect(throws: TunnelMessageError.truncated) { try TCPConnectRequest(parsing: [0x01]) }
        #expect(throws: TunnelMessageError.truncated) { try TCPConnectRequest(parsing: [0x01, 0x00]) }
        #expect(throws: TunnelMessageError.trailingBytes) { try TCPConnectRequest(parsing: [0x01, 0x00, 0x50, 0x00]) }
        #expect(throws: TunnelMessageError.unknownRequestType(0x02)) { try TCPConnectRequest(parsing: [0x02, 0, 80]) }
        // A stream's first three bytes parse even when data follows in the same read.
        let stream: [UInt8] = [0x01, 0x00, 0x16, 0x53, 0x53, 0x48]
        #expect(try TCPConnectRequest(parsing: stream.prefix(TCPConnectRequest.wireLength)).port == 22)
    }

    @Test func connectStatusBytes() throws {
        #expect(TCPConnectStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 4])
        #expect(TCPConnectStatus.allCases.map(\.description)
            == ["connected", "refused", "unreachable", "port_not_offered", "busy"])
        for status in TCPConnectStatus.allCases {
            #expect(try TCPConnectStatus(parsing: status.bytes) == status)
        }
        #expect(throws: TunnelMessageError.unknownStatus(5)) { try TCPConnectStatus(parsing: [5]) }
        #expect(throws: TunnelMessageError.truncated) { try TCPConnectStatus(parsing: []) }
        #expect(throws: TunnelMessageError.trailingBytes) { try TCPConnectStatus(parsing: [0, 0]) }
    }

    @Test func alpnIDs() {
        #expect(ZTNAALPN.relay == "ztna-v1")
        #expect(ZTNAALPN.tunnel == "ztna-tunnel-v1")
    }

    @Test func sniRoundTrip() throws {
        let web = try #require(ServiceID("web"))
        #expect(TunnelSNI.serverName(for: web) == "web.ztna")
        #expect(TunnelSNI.serviceID(fromServerName: "web.ztna") == web)
        #expect(TunnelSNI.serviceID(fromServerName: "WEB.ZTNA") == web)
        #expect(TunnelSNI.serviceID(fromServerName: "db-1.ztna") == ServiceID("db-1"))
        let long = String(repeating: "a", count: 63)
        #expect(TunnelSNI.serviceID(fromServerName: long + ".ztna") == ServiceID(long))
    }

    @Test(arguments: [
        "", ".ztna", "ztna", "web", "web.ztna.", "a.b.ztna", "-web.ztna", "web-.ztna", "web.example",
        "we_b.ztna", String(repeating: "a", count: 64) + ".ztna", "web.ztnax", "wéb.ztna",
    ])
    func sniRejects(_ name: String) {
        #expect(TunnelSNI.serviceID(fromServerName: name) == nil)
    }
}
