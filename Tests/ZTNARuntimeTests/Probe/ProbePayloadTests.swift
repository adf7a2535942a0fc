import Testing
@testable import ZTNARuntime

@Suite("Probe payload patterns and sequence header")
struct ProbePayloadTests {
    @Test func theSequenceNumberLeadsBigEndian() {
        let payload = ProbePayload(pattern: .zeros).make(sequence: 0x0102_0304_0506_0708, size: 12)
        #expect(payload == [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0])
    }

    @Test(arguments: [UInt64(0), 1, 255, 256, 0xDEAD_BEEF, .max])
    func sequenceNumbersRoundTrip(_ sequence: UInt64) {
        for pattern in ProbePattern.allCases {
            let payload = ProbePayload(pattern: pattern, seed: 42).make(sequence: sequence, size: 64)
            #expect(payload.count == 64)
            #expect(ProbePayload.sequence(of: payload[...]) == sequence)
        }
    }

    @Test func aPayloadShorterThanTheHeaderHasNoSequence() {
        #expect(ProbePayload.sequence(of: [1, 2, 3, 4, 5, 6, 7][...]) == nil)
        #expect(ProbePayload.sequence(of: []) == nil)
    }

    @Test func sizesBelowTheHeaderStillCarryTheWholeHeader() {
        #expect(ProbePayload(pattern: .sequence).make(sequence: 9, size: 3).count == ProbePayload.headerLength)
    }

    @Test func zerosAreZeros() {
        let payload = ProbePayload(pattern: .zeros).make(sequence: 5, size: 100)
        #expect(payload.dropFirst(8).allSatisfy { $0 == 0 })
    }

    @Test func sequenceBytesCountFromTheSequenceNumber() {
        let payload = ProbePayload(pattern: .sequence).make(sequence: 300, size: 8 + 300)
        for offset in 0..<300 { #expect(payload[8 + offset] == UInt8(truncatingIfNeeded: offset + 300)) }
    }

    @Test func randomBytesDependOnSeedAndSequenceAndAreReproducible() {
        let generator = ProbePayload(pattern: .random, seed: 7)
        let first = generator.make(sequence: 1, size: 200)
        #expect(first == ProbePayload(pattern: .random, seed: 7).make(sequence: 1, size: 200))
        #expect(first.dropFirst(8) != generator.make(sequence: 2, size: 200).dropFirst(8))
        #expect(first.dropFirst(8) != ProbePayload(pattern: .random, seed: 8).make(sequence: 1, size: 200).dropFirst(8))
        // Not a constant fill: at least half the byte values differ from their neighbour.
        let body = Array(first.dropFirst(8))
        #expect(zip(body, body.dropFirst()).filter { $0 != $1 }.count > body.count / 2)
    }

    @Test func anIntactPayloadMatchesEvenAsASliceOfALargerBuffer() {
        for pattern in ProbePattern.allCases {
            let generator = ProbePayload(pattern: pattern, seed: 99)
            for size in [8, 9, 15, 16, 17, 64, 1_263] {
                let payload = generator.make(sequence: 77, size: size)
                let framed = [0xAA, 0xBB, 0xCC] + payload + [0xDD]
                #expect(generator.matches(framed[3..<(3 + size)], sequence: 77, size: size))
            }
        }
    }

    @Test func anyChangedByteSizeOrSequenceIsCaught() {
        for pattern in ProbePattern.allCases {
            let generator = ProbePayload(pattern: pattern, seed: 3)
            let payload = generator.make(sequence: 12, size: 40)
            for index in payload.indices {
                var damaged = payload
                damaged[index] ^= 0x01
                #expect(!generator.matches(damaged[...], sequence: 12, size: 40), "byte \(index), \(pattern)")
            }
            #expect(!generator.matches(payload.dropLast(), sequence: 12, size: 40))
            #expect(!generator.matches((payload + [0])[...], sequence: 12, size: 40))
            #expect(!generator.matches(payload[...], sequence: 13, size: 40))
        }
    }

    @Test func anotherPacketsBytesDoNotPassForThisOne() {
        for pattern in [ProbePattern.sequence, .random] {
            let generator = ProbePayload(pattern: pattern, seed: 1)
            var other = generator.make(sequence: 5, size: 64)
            other.replaceSubrange(0..<8, with: generator.make(sequence: 6, size: 64)[0..<8])
            #expect(!generator.matches(other[...], sequence: 6, size: 64))
        }
    }
}
