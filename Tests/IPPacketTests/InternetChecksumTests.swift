import Testing
@testable import IPPacket

@Suite struct InternetChecksumTests {
    /// RFC 1071 §3 numerical example: the words 0001 f203 f4f5 f6f7 sum to ddf2 (checksum 220d).
    @Test func rfc1071Example() {
        var sum = InternetChecksum()
        sum.add([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7])
        #expect(sum.foldedSum == 0xDDF2)
        #expect(sum.checksum == 0x220D)
    }

    @Test func matchesNaiveReferenceForEveryLengthAndSeed() {
        var rng = SeededGenerator(seed: 1071)
        for length in 0..<300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(InternetChecksum.checksum(of: bytes) == referenceChecksum(bytes), "length \(length)")
        }
        // Worst case for carries: all ones.
        let ones = [UInt8](repeating: 0xFF, count: 4096)
        #expect(InternetChecksum.checksum(of: ones) == referenceChecksum(ones))
    }

    @Test func evenChunksComposeAndWordsAddNumerically() {
        let bytes: [UInt8] = [0x12, 0x34, 0xAB, 0xCD, 0x00, 0x07, 0xFF, 0xFE, 0x01]
        var chunked = InternetChecksum()
        chunked.add(Array(bytes[0..<2]))
        chunked.add(word: 0xABCD)
        chunked.add(Array(bytes[4..<9]))
        #expect(chunked.checksum == referenceChecksum(bytes))
    }

    @Test func verificationOfAHeaderIncludingItsChecksum() {
        #expect({ var s = InternetChecksum(); s.add(Array(LinuxCaptures.syn[0..<20])); return s.isValid }())
        var corrupted = Array(LinuxCaptures.syn[0..<20])
        corrupted[8] ^= 1
        #expect(!{ var s = InternetChecksum(); s.add(corrupted); return s.isValid }())
    }
}
