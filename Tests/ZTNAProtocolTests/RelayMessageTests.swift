import Testing
@testable import ZTNAProtocol

/// Byte-exact encodings of DESIGN.md §3's table, round trips, and every malformed shape.
@Suite struct RelayMessageTests {
    let web = ServiceID("web")!

    // MARK: - Encodings from the table

    @Test func observedAddressIPv4IsSevenBytes() throws {
        let address = try #require(ObservedAddress(addressBytes: [203, 0, 113, 7], port: 4433))
        let bytes = RelayMessage.observedAddress(address).bytes
        #expect(bytes == [0x01, 203, 0, 113, 7, 0x11, 0x51])
    }

    @Test func observedAddressIPv6IsNineteenBytes() throws {
        let v6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        let address = try #require(ObservedAddress(addressBytes: v6, port: 4433))
        let bytes = RelayMessage.observedAddress(address).bytes
        #expect(bytes == [0x01] + v6 + [0x11, 0x51])
        #expect(bytes.count == 19)
    }

    @Test func registerAndDeregisterLayouts() {
        let id: [UInt8] = Array("web".utf8)
        #expect(RelayMessage.registerAgent(web).bytes == [0x10, 3] + id)
        #expect(RelayMessage.registerConnector(web).bytes == [0x11, 3] + id)
        #expect(RelayMessage.registerAck(web).bytes == [0x12, 0x00, 3] + id)
        #expect(RelayMessage.registerNack(reason: .notAuthorized, id: id).bytes == [0x13, 0x02, 3] + id)
        #expect(RelayMessage.registerNack(reason: .malformed, id: []).bytes == [0x13, 0x01, 0])
        #expect(RelayMessage.registerNack(reason: .limitReached, id: id).bytes == [0x13, 0x03, 3] + id)
        #expect(RelayMessage.deregister(web).bytes == [0x14, 3] + id)
        #expect(RelayMessage.serviceStatus(available: false, web).bytes == [0x15, 0x00, 3] + id)
        #expect(RelayMessage.serviceStatus(available: true, web).bytes == [0x15, 0x01, 3] + id)
    }

    @Test func datagramLayouts() {
        let id: [UInt8] = Array("web".utf8)
        let payload: [UInt8] = [0xC0, 0xFF, 0xEE]
        #expect(RelayMessage.serviceDatagram(web, payload: payload[...]).bytes == [0x2F, 3] + id + payload)
        let peer = PeerID(rawValue: 0x0102_0304_0506_0708)
        #expect(RelayMessage.peerDatagram(peer: peer, web, payload: payload[...]).bytes
            == [0x30, 1, 2, 3, 4, 5, 6, 7, 8, 3] + id + payload)
        // The one-allocation builders produce the same bytes.
        #expect(RelayMessage.encodeServiceDatagram(web, payload: payload[...]) == [0x2F, 3] + id + payload)
        #expect(RelayMessage.encodePeerDatagram(peer: peer, web, payload: payload[...])
            == [0x30, 1, 2, 3, 4, 5, 6, 7, 8, 3] + id + payload)
        #expect(RelayMessage.encodeServiceDatagram(web, payload: []).count == 5)
    }

    @Test func kindBytesAndDirections() {
        #expect(RelayMessage.Kind.allCases.map(\.rawValue) == [0x01, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x2F, 0x30])
        #expect(RelayMessage.Kind.allCases.filter(\.isSentByClients)
            == [.registerAgent, .registerConnector, .deregister, .serviceDatagram, .peerDatagram])
        #expect(RelayMessage.Kind.allCases.filter(\.isSentByRelay)
            == [.observedAddress, .registerAck, .registerNack, .serviceStatus, .serviceDatagram, .peerDatagram])
    }

    @Test func nackEchoIsCappedAt255Bytes() throws {
        let long = [UInt8](repeating: 0x41, count: 300)
        let message = RelayMessage.registerNack(reason: .malformed, id: long)
        #expect(message.bytes.count == 3 + 255)
        #expect(message.wireLength == message.bytes.count)
        #expect(try RelayMessage(parsing: message.bytes) == .registerNack(reason: .malformed, id: Array(long.prefix(255))))
    }

    // MARK: - Round trips

    static var samples: [RelayMessage] {
        let web = ServiceID("web")!
        let long = ServiceID(String(repeating: "a", count: 63))!
        let v4 = ObservedAddress(ip: .v4(0xC000_0201), port: 1)
        let v6 = ObservedAddress(ip: .v6(high: 0x2001_0DB8_0000_0000, low: 1), port: 65535)
        return [
            .observedAddress(v4), .observedAddress(v6),
            .registerAgent(web), .registerConnector(long), .registerAck(web),
            .registerNack(reason: .malformed, id: []), .registerNack(reason: .notAuthorized, id: Array("WEB".utf8)),
            .registerNack(reason: .limitReached, id: web.bytes),
            .deregister(web), .serviceStatus(available: true, web), .serviceStatus(available: false, long),
            .serviceDatagram(web, payload: []), .serviceDatagram(long, payload: [1, 2, 3][...]),
            .peerDatagram(peer: PeerID(rawValue: 0), web, payload: []),
            .peerDatagram(peer: PeerID(rawValue: .max), web, payload: [UInt8](repeating: 9, count: 1400)[...]),
        ]
    }

    @Test(arguments: samples)
    func roundTrips(_ message: RelayMessage) throws {
        let bytes = message.bytes
        #expect(bytes.count == message.wireLength)
        #expect(try RelayMessage(parsing: bytes) == message)
        #expect(try RelayMessage(parsing: bytes).kind == message.kind)
        // Parsing a slice that does not start at index 0 works the same.
        let shifted = ([0xEE] + bytes)[1...]
        #expect(try RelayMessage(parsing: shifted) == message)
    }

    // MARK: - Malformed

    func error(_ bytes: [UInt8]) -> RelayMessageError? {
        do {
            _ = try RelayMessage(parsing: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func emptyAndUnknownTypes() {
        #expect(error([])?.reason == .empty)
        for type in UInt8.min...UInt8.max where RelayMessage.Kind(rawValue: type) == nil {
            #expect(error([type, 1, 2, 3])?.reason == .unknownType(type))
        }
    }

    @Test func everyTruncationPointIsReported() {
        // Cutting a well-formed message anywhere after the type byte leaves it truncated, except where the
        // shorter message is itself well formed (datagrams with a shorter payload) or an address length error.
        for message in Self.samples {
            let bytes = message.bytes
            for cut in 1..<bytes.count {
                let prefix = Array(bytes.prefix(cut))
                switch message.kind {
                case .serviceDatagram, .peerDatagram:
                    let headerLength = bytes.count - payloadCount(message)
                    if cut >= headerLength {
                        #expect(error(prefix) == nil, "\(message.kind) cut at \(cut)")
                    } else {
                        #expect(error(prefix)?.reason == .truncated, "\(message.kind) cut at \(cut)")
                    }
                case .observedAddress:
                    let reason = error(prefix)?.reason
                    if cut == 7 {
                        #expect(reason == nil)  // the first 7 bytes of the IPv6 form read as IPv4: still a message
                    } else {
                        #expect(reason == .truncated || reason == .invalidAddressLength(cut - 3), "cut at \(cut)")
                    }
                default:
                    #expect(error(prefix)?.reason == .truncated, "\(message.kind) cut at \(cut)")
                }
            }
        }
    }

    private func payloadCount(_ message: RelayMessage) -> Int {
        switch message {
        case .serviceDatagram(_, let payload), .peerDatagram(_, _, let payload): payload.count
        default: 0
        }
    }

    @Test func trailingBytesAreRejected() {
        for message in Self.samples where message.kind != .serviceDatagram && message.kind != .peerDatagram {
            let reason = error(message.bytes + [0])?.reason
            if message.kind == .observedAddress {
                #expect(reason == .invalidAddressLength(message.bytes.count - 2))
            } else {
                #expect(reason == .trailingBytes, "\(message.kind)")
            }
        }
    }

    @Test func observedAddressLengths() {
        #expect(error([0x01])?.reason == .truncated)
        #expect(error([0x01, 1, 2, 3, 4, 5])?.reason == .truncated)
        #expect(error([0x01] + [UInt8](repeating: 1, count: 7))?.reason == .invalidAddressLength(5))
        #expect(error([0x01] + [UInt8](repeating: 1, count: 17))?.reason == .invalidAddressLength(15))
        #expect(error([0x01] + [UInt8](repeating: 1, count: 19))?.reason == .invalidAddressLength(17))
    }

    static let badIDs: [[UInt8]] = [
        [],                                           // empty
        [UInt8](repeating: UInt8(ascii: "a"), count: 64),  // 64 bytes
        Array("Web".utf8),                            // upper case
        Array("-web".utf8), Array("web-".utf8), Array("-".utf8),  // leading / trailing '-'
        Array("we b".utf8), Array("we_b".utf8), Array("web.ztna".utf8), [0x00], [0xFF], Array("wéb".utf8),
    ]

    @Test(arguments: badIDs)
    func invalidServiceIDsAreRejected(_ id: [UInt8]) {
        let length = UInt8(truncatingIfNeeded: id.count)
        for prefix: [UInt8] in [[0x10], [0x11], [0x14], [0x12, 0x00], [0x15, 0x01], [0x2F],
                                [0x30, 1, 2, 3, 4, 5, 6, 7, 8]] {
            #expect(error(prefix + [length] + id)?.reason == .invalidServiceID, "\(prefix) \(id)")
        }
        // A NACK echoes whatever it received: not an error.
        #expect(error([0x13, 0x01, length] + id) == nil)
    }

    @Test func validEdgeIDsAreAccepted() throws {
        for text in ["a", "0", "a-b", "a--b", String(repeating: "z", count: 63), "9-lives"] {
            let id = try #require(ServiceID(text))
            #expect(try RelayMessage(parsing: [0x10, UInt8(id.bytes.count)] + id.bytes) == .registerAgent(id))
        }
    }

    @Test func badFixedFields() {
        let id: [UInt8] = Array("web".utf8)
        #expect(error([0x12, 0x01, 3] + id)?.reason == .invalidAckStatus(1))
        for reason: UInt8 in [0x00, 0x04, 0xFF] {
            #expect(error([0x13, reason, 3] + id)?.reason == .invalidNackReason(reason))
        }
        for state: UInt8 in [0x02, 0xFF] {
            #expect(error([0x15, state, 3] + id)?.reason == .invalidStatus(state))
        }
        #expect(error([0x12, 0x07, 3] + id)?.kind == .registerAck)
    }

    @Test func lengthBeyondTheBytesIsTruncatedNotARead() {
        #expect(error([0x10, 0xFF, 0x61])?.reason == .truncated)
        #expect(error([0x2F, 0x40] + [UInt8](repeating: 0x61, count: 10))?.reason == .truncated)
        #expect(error([0x30, 1, 2, 3])?.reason == .truncated)
    }
}
