import IPPacket
import Testing
import ZTNAProtocol
@testable import ZTNARuntime

/// The agent's TUN policy on bytes (DESIGN.md §4): what goes to the TCP endpoint, what rides which tunnel,
/// what is answered with an ICMP error, and which replies may reach the kernel.
@Suite("TUN packet classifier")
struct TunPacketClassifierTests {
    static let tunnelAddress = IPv4Address(10, 100, 0, 254)
    static let web = ServiceID("web")!
    static let echo = ServiceID("echo")!
    static let webIP = IPv4Address(10, 100, 0, 2)
    static let echoIP = IPv4Address(10, 100, 0, 1)

    let classifier = TunPacketClassifier(
        tunnelAddress: .v4(Self.tunnelAddress),
        virtualIPs: [Self.web: .v4(Self.webIP), Self.echo: .v4(Self.echoIP)])

    static func udp(from source: IPv4Address = tunnelAddress, to destination: IPv4Address, payload: [UInt8] = [1, 2, 3],
                    dontFragment: Bool = true) -> [UInt8] {
        IPPacketBuilder.udp(.v4(source: source, destination: destination), sourcePort: 40000, destinationPort: 7,
                            payload: payload, fields: IPHeaderFields(dontFragment: dontFragment))
    }

    // MARK: - TUN → tunnel

    @Test func udpAndICMPToAVirtualIPRideThatServicesTunnel() {
        #expect(classifier.classify(Self.udp(to: Self.echoIP)) == .datagram(Self.echo))
        #expect(classifier.classify(Self.udp(to: Self.webIP)) == .datagram(Self.web))
        let ping = IPPacketBuilder.icmpv4(source: Self.tunnelAddress, destination: Self.echoIP,
                                          message: .echoRequest(identifier: 7, sequence: 1), payload: [9, 9])
        #expect(classifier.classify(ping) == .datagram(Self.echo))
    }

    @Test func tcpGoesToTheTCPEndpointWhateverItsDestination() {
        let syn = IPPacketBuilder.tcp(.v4(source: Self.tunnelAddress, destination: Self.webIP),
                                      header: TCPHeader(sourcePort: 5000, destinationPort: 80, sequenceNumber: 1,
                                                        acknowledgmentNumber: 0, flags: .syn, window: 1000))
        #expect(classifier.classify(syn) == .tcp)
        #expect(TunPacketClassifier.isTCP(syn))
        #expect(!TunPacketClassifier.isTCP(Self.udp(to: Self.webIP)))
        #expect(!TunPacketClassifier.isTCP([]))
        #expect(!TunPacketClassifier.isTCP([0x45]))
    }

    @Test func otherDestinationsGarbageAndFragmentsAreDroppedWithTheirReason() {
        #expect(classifier.classify(Self.udp(to: IPv4Address(10, 100, 0, 9))) == .drop(.unknownDestination, nil))
        #expect(classifier.classify([0x45, 0, 0]) == .drop(.malformed, nil))
        #expect(classifier.classify([]) == .drop(.malformed, nil))
        var fragment = Self.udp(to: Self.echoIP)
        fragment[6] = 0x20  // More Fragments, DF cleared
        fragment[10] = 0
        fragment[11] = 0
        let checksum = InternetChecksum.checksum(of: Array(fragment[0..<20]))
        fragment[10] = UInt8(checksum >> 8)
        fragment[11] = UInt8(checksum & 0xFF)
        #expect(classifier.classify(fragment) == .drop(.fragment, nil))
    }

    @Test func everyTruncationOfAValidPacketIsClassifiedWithoutTrapping() {
        let packet = Self.udp(to: Self.echoIP, payload: Array(repeating: 0xAB, count: 40))
        for length in 0..<packet.count {
            let outcome = classifier.classify(Array(packet[0..<length]))
            #expect(outcome != .datagram(Self.echo), "a \(length)-byte prefix must not pass")
        }
    }

    // MARK: - Too big

    @Test func anOversizeIPv4PacketWithDFIsAnsweredWithFragmentationNeeded() throws {
        let big = Self.udp(to: Self.echoIP, payload: Array(repeating: 1, count: 1400))
        let answer = try #require(classifier.tooBigAnswer(to: big, tunnelCarries: 1300))
        let packet = try IPPacket(parsing: answer)
        #expect(packet.addresses == .v4(source: Self.echoIP, destination: Self.tunnelAddress))
        #expect(packet.transport == .icmpv4(.fragmentationNeeded(nextHopMTU: 1300)))
        // RFC 1191 §4 / RFC 792: the error quotes the original header.
        #expect(Array(packet.payload.prefix(20)) == Array(big[0..<20]))
    }

    @Test func withoutDFThereIsNoAnswerTheDropIsCounted() {
        let big = Self.udp(to: Self.echoIP, payload: Array(repeating: 1, count: 1400), dontFragment: false)
        #expect(classifier.tooBigAnswer(to: big, tunnelCarries: 1300) == nil)
    }

    @Test func anOversizeIPv6PacketIsAnsweredWithPacketTooBigNeverBelow1280() throws {
        let source = IPv6Address(high: 0xFD00_0000_0000_0000, low: 0xFFFE)
        let vip = IPv6Address(high: 0xFD00_0000_0000_0000, low: 2)
        let v6 = TunPacketClassifier(tunnelAddress: .v6(source), virtualIPs: [Self.web: .v6(vip)])
        let big = IPPacketBuilder.udp(.v6(source: source, destination: vip), sourcePort: 1, destinationPort: 7,
                                      payload: Array(repeating: 2, count: 1300))
        #expect(v6.classify(big) == .datagram(Self.web))
        let answer = try #require(v6.tooBigAnswer(to: big, tunnelCarries: 1100))
        let packet = try IPPacket(parsing: answer)
        #expect(packet.transport == .icmpv6(.packetTooBig(mtu: 1280)))
        #expect(packet.addresses == .v6(source: vip, destination: source))
        #expect(answer.count <= 1280)
    }

    // MARK: - Tunnel → TUN

    @Test func aReplyIsAcceptedOnlyFromItsOwnServicesVirtualIPToTheTunnelAddress() {
        let reply = Self.udp(from: Self.echoIP, to: Self.tunnelAddress, payload: [5, 6, 7, 8])
        #expect(classifier.acceptReply(reply, from: Self.echo) == .accept(payloadLength: 4))
        // The web connector may not speak for the echo service's address…
        #expect(classifier.acceptReply(reply, from: Self.web) == .drop(.unexpectedSource))
        // …nor send to another local address.
        let elsewhere = Self.udp(from: Self.echoIP, to: IPv4Address(10, 250, 0, 3))
        #expect(classifier.acceptReply(elsewhere, from: Self.echo) == .drop(.unexpectedSource))
        var corrupted = reply
        corrupted[corrupted.count - 1] ^= 0xFF
        #expect(classifier.acceptReply(corrupted, from: Self.echo) == .drop(.malformed))
    }
}
