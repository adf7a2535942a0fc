import Testing
@testable import IPPacket

/// Random and mutated inputs never trap; whatever parses is self-consistent.
@Suite struct IPPacketFuzzTests {
    @Test func hundredThousandSeededInputsNeverTrap() {
        var rng = SeededGenerator(seed: 0x5EED)
        let pair = IPAddressPair.v4(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2))
        let seeds: [[UInt8]] = [
            LinuxCaptures.syn, LinuxCaptures.udp,
            IPPacketBuilder.tcp(pair, header: TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: 3,
                                                        acknowledgmentNumber: 4, flags: .ack, window: 5), payload: [1, 2, 3]),
            IPPacketBuilder.icmpv4(source: IPv4Address(1, 1, 1, 1), destination: IPv4Address(2, 2, 2, 2),
                                   message: .echoRequest(identifier: 1, sequence: 1), payload: [0]),
            IPPacketBuilder.udp(.v6(source: IPv6Address(high: 1, low: 2), destination: IPv6Address(high: 3, low: 4)),
                                sourcePort: 1, destinationPort: 2, payload: [1, 2]),
        ]
        var parsedCount = 0
        for round in 0..<100_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                // Pure noise, biased to start with a plausible version nibble.
                let length = Int.random(in: 0...120, using: &rng)
                bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if !bytes.isEmpty { bytes[0] = (round % 4 == 0 ? 0x40 : 0x60) | (bytes[0] & 0x0F) }
            } else {
                // A valid packet with a few random byte changes and a random truncation.
                bytes = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            }
            if let packet = try? IPPacket(parsing: bytes, verifyChecksums: round % 3 != 0) {
                parsedCount += 1
                #expect(packet.payloadRange.upperBound <= bytes.count)
                #expect(packet.transportRange.lowerBound <= packet.payloadRange.lowerBound)
            }
        }
        // Without checksum verification many mutations still parse: the consistency checks above did run.
        #expect(parsedCount > 100)
    }
}
