import Testing
@testable import QUICWire

@Suite("Packet number encoding and decoding (RFC 9000 §17.1, Appendix A.2, A.3)")
struct PacketNumberTests {
    // MARK: - Appendix A.2

    @Test func rfcAppendixA2ExamplesChooseTheLength() {
        // "if an endpoint has received an acknowledgment for packet 0xabe8b3 and is sending a packet with
        // a number of 0xac5c02, there are 29,519 (0x734f) outstanding packet numbers ... at least 16 bits"
        #expect(PacketNumberCoding.encodedLength(full: 0xac5c02, largestAcknowledged: 0xabe8b3) == 2)
        // "... sending a packet with a number of 0xace8fe, ... at least 18 bits" → 3 bytes.
        #expect(PacketNumberCoding.encodedLength(full: 0xace8fe, largestAcknowledged: 0xabe8b3) == 3)
    }

    @Test func lengthWithNothingAcknowledgedCoversTheWholeNumber() {
        #expect(PacketNumberCoding.encodedLength(full: 0, largestAcknowledged: nil) == 1)
        #expect(PacketNumberCoding.encodedLength(full: 126, largestAcknowledged: nil) == 1)
        #expect(PacketNumberCoding.encodedLength(full: 127, largestAcknowledged: nil) == 2)
        #expect(PacketNumberCoding.encodedLength(full: 1 << 40, largestAcknowledged: nil) == 4, "capped at 4")
        #expect(PacketNumberCoding.encodedLength(full: 5, largestAcknowledged: 9) == 1, "stale ack: still valid")
    }

    // MARK: - Appendix A.3

    @Test func rfcAppendixA3ExampleRecoversTheFullNumber() {
        #expect(PacketNumberCoding.decode(truncated: 0x9b32, lengthInBytes: 2, largestReceived: 0xa82f30ea) == 0xa82f9b32)
    }

    @Test func decodesAroundTheWindowEdges() {
        // Nothing received yet: expected 0, so small numbers decode as themselves.
        #expect(PacketNumberCoding.decode(truncated: 0, lengthInBytes: 1, largestReceived: nil) == 0)
        #expect(PacketNumberCoding.decode(truncated: 0xff, lengthInBytes: 1, largestReceived: nil) == 0xff)
        // Wraps forward past a byte boundary...
        #expect(PacketNumberCoding.decode(truncated: 0x01, lengthInBytes: 1, largestReceived: 0xfe) == 0x101)
        // ...and backwards for a late packet.
        #expect(PacketNumberCoding.decode(truncated: 0xff, lengthInBytes: 1, largestReceived: 0x101) == 0xff)
        // Only the low bits of `truncated` are used.
        #expect(PacketNumberCoding.decode(truncated: 0x1_0005, lengthInBytes: 2, largestReceived: 3) == 5)
    }

    @Test func neverDecodesAbove2To62MinusOne() {
        let max = PacketNumberCoding.maxPacketNumber
        // Candidate would wrap beyond 2^62 - 1: the RFC keeps it below instead.
        #expect(PacketNumberCoding.decode(truncated: 0x00, lengthInBytes: 1, largestReceived: max - 1) == max - 0xff)
        #expect(PacketNumberCoding.decode(truncated: 0xff, lengthInBytes: 1, largestReceived: max - 1) == max)
        #expect(PacketNumberCoding.decode(truncated: 0xffff_fffe, lengthInBytes: 4, largestReceived: max) == max - 1)
        // Absurd inputs do not trap.
        #expect(PacketNumberCoding.decode(truncated: .max, lengthInBytes: 9, largestReceived: .max) <= max)
        #expect(PacketNumberCoding.decode(truncated: .max, lengthInBytes: 0, largestReceived: nil) == 0xff)
    }

    @Test func encodeThenDecodeRoundTripsAcrossManyDistances() {
        var rng = SplitMix64(seed: 0x5eed)
        let bases: [UInt64] = [0, 1, 0xff, 0xabe8b3, 1 << 31, (1 << 62) - (1 << 33)]
        for largest in bases {
            for _ in 0..<500 {
                let distance = 1 + rng.next() % (1 << 30)
                let full = largest + distance
                guard full <= PacketNumberCoding.maxPacketNumber else { continue }
                let length = PacketNumberCoding.encodedLength(full: full, largestAcknowledged: largest)
                let mask: UInt64 = (1 << UInt64(length * 8)) - 1
                // The receiver may have seen anything from the acknowledged packet up to full - 1.
                let received = largest + rng.next() % distance
                let decoded = PacketNumberCoding.decode(truncated: full & mask, lengthInBytes: length,
                                                        largestReceived: received)
                #expect(decoded == full, "full \(full) largest acked \(largest) received \(received) length \(length)")
            }
        }
    }

    @Test func spacesIndexPerSpaceTables() {
        #expect(PacketNumberSpace.allCases.map(\.rawValue) == [0, 1, 2])
    }
}
