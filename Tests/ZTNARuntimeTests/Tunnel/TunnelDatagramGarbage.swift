import IPPacket
@testable import ZTNARuntime

/// Tunnel DATAGRAMs the connector must drop, each with the reason it must count.
enum TunnelDatagramGarbage {
    static func all(source: IPv4Address, destination: IPv4Address) -> [([UInt8], TunnelDropReason)] {
        let addresses = IPAddressPair.v4(source: source, destination: destination)
        let udp = IPPacketBuilder.udp(addresses, sourcePort: 40_000, destinationPort: 7, payload: [1, 2, 3, 4])

        var generator = TunnelTestRandom(seed: 42)
        let random = (0..<200).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        var randomV4 = random
        randomV4[0] = 0x45   // looks like IPv4; the header checksum cannot match

        var badUDPChecksum = udp
        badUDPChecksum[badUDPChecksum.count - 1] ^= 0xFF   // payload changed, checksum not

        var overlong = udp
        overlong.removeLast(2)   // the IP total length promises two more bytes

        var fragment = IPv4Header(source: source, destination: destination, protocolNumber: .udp,
                                  totalLength: UInt16(udp.count), dontFragment: false)
        fragment.moreFragments = true
        let fragmentPacket = withHeader(fragment, upper: Array(udp[20...]))

        let gre = withHeader(IPv4Header(source: source, destination: destination,
                                        protocolNumber: IPProtocolNumber(rawValue: 47), totalLength: 28),
                             upper: [UInt8](repeating: 0, count: 8))
        let tcp = IPPacketBuilder.tcp(addresses, header: TCPHeader(sourcePort: 40_000, destinationPort: 80,
                                                                   sequenceNumber: 1, acknowledgmentNumber: 0,
                                                                   flags: .syn, window: 65_535))
        let notOffered = IPPacketBuilder.udp(addresses, sourcePort: 40_000, destinationPort: 9, payload: [1])
        let echoReply = IPPacketBuilder.icmpv4(source: source, destination: destination,
                                               message: .echoReply(identifier: 1, sequence: 1), payload: [])

        return [
            ([], .malformed),
            ([0x00] + random.dropFirst(), .malformed),
            (randomV4, .malformed),
            (Array(udp.prefix(12)), .malformed),
            (badUDPChecksum, .malformed),
            (overlong, .malformed),
            (fragmentPacket, .fragment),
            (gre, .unsupportedProtocol),
            (tcp, .unsupportedProtocol),
            (notOffered, .portNotOffered),
            (echoReply, .icmpNotEcho),
        ]
    }

    /// `header` (written with a valid checksum) followed by `upper`.
    private static func withHeader(_ header: IPv4Header, upper: [UInt8]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: IPv4Header.minimumLength)
        bytes.withUnsafeMutableBytes { header.write(to: $0) }
        return bytes + upper
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): deterministic test randomness.
struct TunnelTestRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
