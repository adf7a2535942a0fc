import Testing
@testable import ZTNAProtocol

/// Random and mutated inputs never trap, and whatever parses re-encodes to the same bytes.
@Suite struct RelayMessageFuzzTests {
    @Test func randomAndMutatedInputsNeverTrap() throws {
        var generator = SplitMix64(seed: 0x5EED)
        let seeds = RelayMessageTests.samples.map(\.bytes)
        var parsed = 0
        for round in 0..<100_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                // Pure random: a random type byte biased towards defined ones, random length.
                let length = Int(generator.next() % 40)
                bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                if !bytes.isEmpty, generator.next() % 2 == 0 {
                    let kinds = RelayMessage.Kind.allCases
                    bytes[0] = kinds[Int(generator.next() % UInt64(kinds.count))].rawValue
                }
            } else {
                // Mutated: flip, insert, delete or truncate a well-formed message.
                bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
                for _ in 0...(generator.next() % 3) {
                    let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
                    switch generator.next() % 4 {
                    case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                    case 1: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                    case 2 where !bytes.isEmpty: bytes.remove(at: position)
                    default: bytes.removeLast(min(bytes.count, Int(generator.next() % 4)))
                    }
                }
            }
            if let message = try? RelayMessage(parsing: bytes) {
                parsed += 1
                #expect(message.bytes == bytes)
            }
            if let header = try? RelayDatagramHeader(parsing: bytes[...]) {
                #expect(header.payload.upperBound == bytes.count)
                #expect(header.serviceDatagram(from: bytes[...]).count <= bytes.count)
            }
            _ = try? TCPConnectRequest(parsing: bytes)
            _ = try? TCPConnectStatus(parsing: bytes)
        }
        #expect(parsed > 1_000)  // the mutations keep a good share well formed, so both paths are exercised
    }
}
