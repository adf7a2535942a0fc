import Testing
@testable import IPPacket

@Suite struct IPPacketBuilderTests {
    let v4 = IPAddressPair.v4(source: IPv4Address(10, 201, 0, 1), destination: IPv4Address(10, 201, 0, 2))
    var v6: IPAddressPair { .v6(source: IPv6Address("fd00::1")!, destination: IPv6Address("fd00:0:0:0:0:0:0:2")!) }

    @Test func rebuildsTheLinuxSynByteForByte() throws {
        let parsed = try IPPacket(parsing: LinuxCaptures.syn)
        guard case .tcp(let tcp) = parsed.transport, case .v4(let ip) = parsed.network else {
            Issue.record("not tcp/v4"); return
        }
        let rebuilt = IPPacketBuilder.tcp(parsed.addresses, header: tcp,
                                          fields: IPHeaderFields(hopLimit: ip.timeToLive, identification: ip.identification))
        #expect(rebuilt == LinuxCaptures.syn)
    }

    @Test func rebuildsTheLinuxUDPByteForByte() throws {
        let parsed = try IPPacket(parsing: LinuxCaptures.udp)
        guard case .udp(let udp) = parsed.transport, case .v4(let ip) = parsed.network else {
            Issue.record("not udp/v4"); return
        }
        let rebuilt = IPPacketBuilder.udp(parsed.addresses, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort,
                                          payload: Array(parsed.payload), fields: IPHeaderFields(identification: ip.identification))
        #expect(rebuilt == LinuxCaptures.udp)
    }

    @Test(arguments: [false, true])
    func tcpRoundTrip(ipv6: Bool) throws {
        let pair = ipv6 ? v6 : v4
        let header = TCPHeader(sourcePort: 443, destinationPort: 50000, sequenceNumber: 0xFFFF_FFF0,
                               acknowledgmentNumber: 77, flags: [.ack, .psh], window: 1234,
                               options: TCPOptions(timestamps: .init(value: 5, echoReply: 6)))
        let payload = (0..<999).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let bytes = IPPacketBuilder.tcp(pair, header: header, payload: payload)
        let parsed = try IPPacket(parsing: bytes)
        guard case .tcp(var back) = parsed.transport else { Issue.record("not tcp"); return }
        back.checksum = 0
        #expect(back == header)
        #expect(Array(parsed.payload) == payload)
        #expect(parsed.addresses == pair)
    }

    @Test(arguments: [false, true])
    func udpRoundTrip(ipv6: Bool) throws {
        let pair = ipv6 ? v6 : v4
        for length in [0, 1, 2, 1200] {
            let payload = [UInt8](repeating: 0x5A, count: length)
            let parsed = try IPPacket(parsing: IPPacketBuilder.udp(pair, sourcePort: 5, destinationPort: 6, payload: payload))
            guard case .udp(let udp) = parsed.transport else { Issue.record("not udp"); return }
            #expect(udp.sourcePort == 5 && udp.destinationPort == 6 && Int(udp.length) == 8 + length)
            #expect(udp.checksum != 0)
            #expect(Array(parsed.payload) == payload)
        }
    }

    @Test func icmpEchoRoundTrips() throws {
        let req = IPPacketBuilder.icmpv4(source: IPv4Address(1, 2, 3, 4), destination: IPv4Address(5, 6, 7, 8),
                                         message: .echoRequest(identifier: 0x1234, sequence: 9), payload: [1, 2, 3])
        let p4 = try IPPacket(parsing: req)
        #expect(p4.transport == .icmpv4(.echoRequest(identifier: 0x1234, sequence: 9)))
        #expect(Array(p4.payload) == [1, 2, 3])
        // Independent check of the ICMP checksum with the naive reference.
        var zeroed = Array(req[20...]); zeroed[2] = 0; zeroed[3] = 0
        #expect(UInt16(req[22]) << 8 | UInt16(req[23]) == referenceChecksum(zeroed))

        guard case .v6(let s, let d) = v6 else { return }
        let rep = IPPacketBuilder.icmpv6(source: s, destination: d, message: .echoReply(identifier: 1, sequence: 2), payload: [9])
        let p6 = try IPPacket(parsing: rep)
        #expect(p6.transport == .icmpv6(.echoReply(identifier: 1, sequence: 2)))
        #expect(Array(p6.payload) == [9])
    }

    @Test func fragmentationNeededQuotesTheOriginal() throws {
        let big = IPPacketBuilder.udp(v4, sourcePort: 1000, destinationPort: 53, payload: [UInt8](repeating: 7, count: 1400))
        let router = IPv4Address(10, 201, 0, 2)
        let icmp = try #require(IPPacketBuilder.fragmentationNeeded(for: big, nextHopMTU: 1280, from: router))
        let parsed = try IPPacket(parsing: icmp)
        #expect(parsed.transport == .icmpv4(.fragmentationNeeded(nextHopMTU: 1280)))
        #expect(parsed.addresses == .v4(source: router, destination: IPv4Address(10, 201, 0, 1)))
        #expect(icmp.count == 576)
        #expect(Array(parsed.payload) == Array(big[0..<(576 - 28)]))
        #expect(IPPacketBuilder.fragmentationNeeded(for: [0x45, 0], nextHopMTU: 1, from: router) == nil)
    }

    @Test func packetTooBigQuotesTheOriginal() throws {
        guard case .v6(let s, let d) = v6 else { return }
        let big = IPPacketBuilder.udp(v6, sourcePort: 1, destinationPort: 2, payload: [UInt8](repeating: 1, count: 1400))
        let icmp = try #require(IPPacketBuilder.packetTooBig(for: big, mtu: 1280, from: d))
        let parsed = try IPPacket(parsing: icmp)
        #expect(parsed.transport == .icmpv6(.packetTooBig(mtu: 1280)))
        #expect(parsed.addresses == .v6(source: d, destination: s))
        #expect(icmp.count == 1280)
        #expect(Array(parsed.payload) == Array(big[0..<(1280 - 48)]))
    }
}
