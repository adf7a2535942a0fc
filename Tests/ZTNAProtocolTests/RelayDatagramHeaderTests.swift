import Testing
@testable import ZTNAProtocol

/// The forwarding hot path's header parser and its one-allocation re-encoders.
@Suite struct RelayDatagramHeaderTests {
    let id: [UInt8] = Array("db-1".utf8)
    let payload: [UInt8] = Array(0..<200)

    @Test func serviceDatagramHeaderIndexesTheInput() throws {
        let bytes = [0x2F, UInt8(id.count)] + id + payload
        let header = try RelayDatagramHeader(parsing: bytes[...])
        #expect(header.peer == nil)
        #expect(header.kind == .serviceDatagram)
        #expect(Array(bytes[header.serviceID]) == id)
        #expect(Array(bytes[header.payload]) == payload)
    }

    @Test func peerDatagramHeaderInAShiftedSlice() throws {
        let message = [0x30, 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 1, UInt8(id.count)] + id + payload
        let storage = [0xAA, 0xBB, 0xCC] + message + [0x99]
        let slice = storage[3..<(3 + message.count)]
        let header = try RelayDatagramHeader(parsing: slice)
        #expect(header.peer == PeerID(rawValue: 0xDEAD_BEEF_0000_0001))
        #expect(Array(slice[header.serviceID]) == id)
        #expect(Array(slice[header.payload]) == payload)
    }

    @Test func reAddressingBuildsTheOtherMessageExactly() throws {
        let service = try #require(ServiceID(bytes: id))
        let peer = PeerID(rawValue: 42)
        // Agent's 0x2F becomes the connector's 0x30, in a slice not starting at 0.
        let fromAgent = ([7, 7] + RelayMessage.serviceDatagram(service, payload: payload[...]).bytes)[2...]
        let header = try RelayDatagramHeader(parsing: fromAgent)
        let toConnector = header.peerDatagram(from: fromAgent, peer: peer)
        #expect(toConnector == RelayMessage.peerDatagram(peer: peer, service, payload: payload[...]).bytes)
        #expect(toConnector.capacity >= toConnector.count)
        // Connector's 0x30 becomes the agent's 0x2F.
        let fromConnector = toConnector[...]
        let back = try RelayDatagramHeader(parsing: fromConnector)
        #expect(back.serviceDatagram(from: fromConnector) == Array(fromAgent))
        // Empty payloads too.
        let empty = RelayMessage.serviceDatagram(service, payload: []).bytes[...]
        #expect(try RelayDatagramHeader(parsing: empty).peerDatagram(from: empty, peer: peer)
            == RelayMessage.peerDatagram(peer: peer, service, payload: []).bytes)
    }

    @Test func otherTypesAreNotDatagrams() {
        #expect(throws: RelayMessageError(.empty, kind: nil)) { try RelayDatagramHeader(parsing: []) }
        #expect(throws: RelayMessageError(.unexpectedType(.registerAgent), kind: .registerAgent)) {
            try RelayDatagramHeader(parsing: [0x10, 1, 0x61])
        }
        #expect(throws: RelayMessageError(.unknownType(0x31), kind: nil)) { try RelayDatagramHeader(parsing: [0x31]) }
    }

    @Test func malformedHeaders() {
        #expect(throws: RelayMessageError(.truncated, kind: .serviceDatagram)) { try RelayDatagramHeader(parsing: [0x2F]) }
        #expect(throws: RelayMessageError(.truncated, kind: .peerDatagram)) {
            try RelayDatagramHeader(parsing: [0x30, 1, 2, 3, 4, 5, 6, 7])
        }
        #expect(throws: RelayMessageError(.invalidServiceID, kind: .serviceDatagram)) {
            try RelayDatagramHeader(parsing: [0x2F, 0])
        }
        #expect(throws: RelayMessageError(.invalidServiceID, kind: .serviceDatagram)) {
            try RelayDatagramHeader(parsing: [0x2F, 1, UInt8(ascii: "A"), 1, 2])
        }
        #expect(throws: RelayMessageError(.invalidServiceID, kind: .serviceDatagram)) {
            try RelayDatagramHeader(parsing: [0x2F, 64] + [UInt8](repeating: 0x61, count: 64) + [1])
        }
    }
}
