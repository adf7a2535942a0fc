import Testing
@testable import QUICCrypto

@Suite struct RetryIntegrityTests {
    let packet: [UInt8]
    let odcid: [UInt8]

    init() throws {
        let vector = try RFC9001Vectors.load().retry
        packet = try [UInt8](hex: vector.packet)
        odcid = try [UInt8](hex: vector.originalDcid)
        #expect(RetryIntegrity.keyBytes == (try [UInt8](hex: vector.integrityKey)))
        #expect(RetryIntegrity.nonceBytes == (try [UInt8](hex: vector.integrityNonce)))
    }

    /// RFC 9001 A.4: the tag at the end of the Retry packet.
    @Test func tagMatchesRFC9001AppendixA4() {
        let withoutTag = Array(packet.dropLast(16))
        #expect(RetryIntegrity.tag(retryPacketWithoutTag: withoutTag, originalDestinationConnectionID: odcid)
            == Array(packet.suffix(16)))
    }

    @Test func verifyAcceptsTheRFCPacket() {
        #expect(RetryIntegrity.verify(retryPacket: packet, originalDestinationConnectionID: odcid))
    }

    @Test func verifyRejectsAnyModifiedByte() {
        for index in packet.indices {
            var modified = packet
            modified[index] ^= 0x80
            #expect(!RetryIntegrity.verify(retryPacket: modified, originalDestinationConnectionID: odcid),
                    "byte \(index)")
        }
    }

    /// RFC 9000 §17.2.5.2: the tag binds the Retry to the client's original Destination Connection ID.
    @Test func verifyRejectsAnotherOriginalConnectionID() {
        var other = odcid
        other[odcid.count - 1] ^= 0x01
        #expect(!RetryIntegrity.verify(retryPacket: packet, originalDestinationConnectionID: other))
        #expect(!RetryIntegrity.verify(retryPacket: packet, originalDestinationConnectionID: Array(odcid.dropLast())))
        #expect(!RetryIntegrity.verify(retryPacket: packet, originalDestinationConnectionID: []))
        #expect(!RetryIntegrity.verify(retryPacket: packet,
                                       originalDestinationConnectionID: [UInt8](repeating: 1, count: 300)))
    }

    @Test func verifyRejectsTruncatedPackets() {
        #expect(!RetryIntegrity.verify(retryPacket: [], originalDestinationConnectionID: odcid))
        #expect(!RetryIntegrity.verify(retryPacket: Array(packet.suffix(16)), originalDestinationConnectionID: odcid))
        #expect(!RetryIntegrity.verify(retryPacket: Array(packet.dropLast()), originalDestinationConnectionID: odcid))
    }

    /// RFC 9000 §17.2: v1 connection IDs are at most 20 bytes; a longer one neither traps nor verifies.
    @Test func overlongOriginalConnectionIDNeverVerifies() {
        let withoutTag = Array(packet.dropLast(16))
        for length in [21, 256, 300] {
            let cid = [UInt8](repeating: 0x77, count: length)
            let tag = RetryIntegrity.tag(retryPacketWithoutTag: withoutTag, originalDestinationConnectionID: cid)
            #expect(tag.count == 16)
            #expect(!RetryIntegrity.verify(retryPacket: withoutTag + tag, originalDestinationConnectionID: cid))
        }
        let twenty = [UInt8](repeating: 0x77, count: 20)
        let tag = RetryIntegrity.tag(retryPacketWithoutTag: withoutTag, originalDestinationConnectionID: twenty)
        #expect(RetryIntegrity.verify(retryPacket: withoutTag + tag, originalDestinationConnectionID: twenty))
    }

    @Test func tagRoundTripsForOtherPackets() {
        let retry: [UInt8] = [0xf0, 0x00, 0x00, 0x00, 0x01, 0x04, 1, 2, 3, 4, 0x08, 9, 9, 9, 9, 9, 9, 9, 9] + Array("token".utf8)
        let cid: [UInt8] = [0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33]
        let tag = RetryIntegrity.tag(retryPacketWithoutTag: retry, originalDestinationConnectionID: cid)
        #expect(tag.count == RetryIntegrity.tagLength)
        #expect(RetryIntegrity.verify(retryPacket: retry + tag, originalDestinationConnectionID: cid))
        #expect(tag != RetryIntegrity.tag(retryPacketWithoutTag: retry, originalDestinationConnectionID: []))
    }
}
