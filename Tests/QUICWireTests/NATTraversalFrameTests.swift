import Testing
@testable import QUICWire

/// The NAT traversal frames and transport parameter (draft-seemann-quic-nat-traversal-02 §4.5, §4.6) and
/// address discovery (draft-ietf-quic-address-discovery §3, §4). The byte vectors are written by hand from
/// the drafts' frame diagrams, not produced by the encoder.
@Suite("NAT traversal and address discovery frames and transport parameters")
struct NATTraversalFrameTests {
    static let documentation4 = FrameAddress(ip: .v4(0xc000_0201), port: 4433)             // 192.0.2.1:4433
    static let documentation6 = FrameAddress(ip: .v6(high: 0x2001_0db8_0000_0000, low: 1), port: 443)

    // MARK: - Byte vectors

    @Test func addAddressIPv4() throws {
        // Type 0x3d7e90 as a 4-byte varint, sequence 1, 192.0.2.1, port 4433 (0x1151).
        let bytes = hexBytes("803d7e90" + "01" + "c0000201" + "1151")
        let frame = Frame.addAddress(AddAddressFrame(sequence: 1, address: Self.documentation4))
        #expect(encoded(frame) == bytes)
        #expect(try parseOne(bytes) == (frame, true))
        #expect(frame.frameType == FrameType.addAddressIPv4)
    }

    @Test func addAddressIPv6() throws {
        // Type 0x3d7e91, sequence 5, 2001:db8::1, port 443.
        let bytes = hexBytes("803d7e91" + "05" + "20010db8000000000000000000000001" + "01bb")
        let frame = Frame.addAddress(AddAddressFrame(sequence: 5, address: Self.documentation6))
        #expect(encoded(frame) == bytes)
        #expect(try parseOne(bytes) == (frame, true))
    }

    @Test func punchMeNowIPv4AndIPv6() throws {
        // Type 0x3d7e92, round 2, paired with 1, 198.51.100.7, port 50000 (0xc350).
        let four = hexBytes("803d7e92" + "02" + "01" + "c6336407" + "c350")
        let frame4 = Frame.punchMeNow(PunchMeNowFrame(round: 2, pairedWith: 1,
                                                      address: FrameAddress(ip: .v4(0xc633_6407), port: 50000)))
        #expect(encoded(frame4) == four)
        #expect(try parseOne(four) == (frame4, true))
        // Type 0x3d7e93, round 64 (a 2-byte varint), paired with 0.
        let six = hexBytes("803d7e93" + "4040" + "00" + "20010db8000000000000000000000001" + "01bb")
        let frame6 = Frame.punchMeNow(PunchMeNowFrame(round: 64, pairedWith: 0, address: Self.documentation6))
        #expect(encoded(frame6) == six)
        #expect(try parseOne(six) == (frame6, true))
    }

    @Test func removeAddress() throws {
        let bytes = hexBytes("803d7e94" + "07")
        #expect(encoded(.removeAddress(sequence: 7)) == bytes)
        #expect(try parseOne(bytes) == (.removeAddress(sequence: 7), true))
    }

    @Test func observedAddressIPv4AndIPv6() throws {
        // Type 0x9f81a6 as a 4-byte varint, sequence 0, 203.0.113.9, port 4433.
        let four = hexBytes("809f81a6" + "00" + "cb007109" + "1151")
        let frame4 = Frame.observedAddress(ObservedAddressFrame(sequence: 0, address: FrameAddress(ip: .v4(0xcb00_7109), port: 4433)))
        #expect(encoded(frame4) == four)
        #expect(try parseOne(four) == (frame4, true))
        let six = hexBytes("809f81a7" + "03" + "20010db8000000000000000000000001" + "01bb")
        let frame6 = Frame.observedAddress(ObservedAddressFrame(sequence: 3, address: Self.documentation6))
        #expect(encoded(frame6) == six)
        #expect(try parseOne(six) == (frame6, true))
    }

    // MARK: - Malformed frames

    @Test func truncatedAddressesAreFrameEncodingErrors() {
        for bytes in [hexBytes("803d7e90" + "01" + "c00002"), hexBytes("803d7e91" + "01" + "20010db8"),
                      hexBytes("803d7e92" + "01" + "00" + "c0000201" + "11"), hexBytes("803d7e94"),
                      hexBytes("809f81a7" + "00" + "20010db8000000000000000000000001" + "01")] {
            let error = wireError { () throws(QUICWireError) in try parseOne(bytes) }
            #expect(error?.code == .frameEncodingError, "\(bytes)")
            #expect(error?.frameType == (VarInt.readForTest(bytes)))
        }
    }

    @Test func aNonMinimalTypeIsAProtocolViolation() {
        // 0x3d7e94 as an 8-byte varint.
        let bytes = hexBytes("c000000000" + "3d7e94" + "07")
        #expect(wireError { () throws(QUICWireError) in try parseOne(bytes) }?.code == .protocolViolation)
    }

    @Test func neighbouringTypesAreUnknown() {
        for type: UInt64 in [0x3d7e8f, 0x3d7e95, 0x9f81a5, 0x9f81a8] {
            var bytes: [UInt8] = []
            bytes.appendVarInt(type)
            bytes += [0, 0, 0, 0, 0, 0, 0]
            #expect(wireError { () throws(QUICWireError) in try parseOne(bytes) }?.code == .frameEncodingError)
        }
    }

    // MARK: - Classification

    @Test func directionsFollowTheDraft() {
        let add = Frame.addAddress(AddAddressFrame(sequence: 0, address: Self.documentation4))
        let punch = Frame.punchMeNow(PunchMeNowFrame(round: 1, pairedWith: 0, address: Self.documentation4))
        let observed = Frame.observedAddress(ObservedAddressFrame(sequence: 0, address: Self.documentation4))
        #expect(add.mayBeSent(by: .server) && !add.mayBeSent(by: .client))
        #expect(Frame.removeAddress(sequence: 0).mayBeSent(by: .server) && !Frame.removeAddress(sequence: 0).mayBeSent(by: .client))
        #expect(punch.mayBeSent(by: .client) && !punch.mayBeSent(by: .server))
        #expect(observed.mayBeSent(by: .client) && observed.mayBeSent(by: .server))
        #expect(!Frame.handshakeDone.mayBeSent(by: .client) && !Frame.newToken(token: [1]).mayBeSent(by: .client))
        #expect(Frame.ping.mayBeSent(by: .client) && Frame.ping.mayBeSent(by: .server))
    }

    @Test func onlyObservedAddressIsProbingAndAllAreAckEliciting() {
        let add = Frame.addAddress(AddAddressFrame(sequence: 0, address: Self.documentation4))
        let punch = Frame.punchMeNow(PunchMeNowFrame(round: 1, pairedWith: 0, address: Self.documentation4))
        let observed = Frame.observedAddress(ObservedAddressFrame(sequence: 0, address: Self.documentation4))
        #expect(observed.isProbing)
        for frame in [add, punch, Frame.removeAddress(sequence: 0)] {
            #expect(!frame.isProbing)
        }
        for frame in [add, punch, Frame.removeAddress(sequence: 0), observed] {
            #expect(frame.isAckEliciting && frame.countsInFlight)
        }
    }

    @Test func addressBytesAndDescriptions() {
        #expect(FrameAddress(bytes: [192, 0, 2, 1], port: 4433) == Self.documentation4)
        #expect(FrameAddress(bytes: hexBytes("20010db8000000000000000000000001"), port: 443) == Self.documentation6)
        #expect(FrameAddress(bytes: [1, 2, 3], port: 1) == nil)
        #expect(Self.documentation4.bytes == [192, 0, 2, 1])
        #expect(Self.documentation6.bytes == hexBytes("20010db8000000000000000000000001"))
        #expect(Self.documentation4.description == "192.0.2.1:4433")
        #expect(Self.documentation6.description == "[2001:db8:0:0:0:0:0:1]:443")
    }

    // MARK: - Transport parameters

    @Test func natTraversalParameterBytes() throws {
        // 0x3d7e9f0bca12fea6 is an 8-byte varint: 0xc0 | 0x3d, then the other seven bytes.
        let client = hexBytes("fd7e9f0bca12fea6" + "00")
        var clientParameters = TransportParameters()
        clientParameters.natTraversal = .client
        #expect(clientParameters.encode() == client)
        #expect(try TransportParameters.decode(client, sentBy: .client).natTraversal == .client)
        let server = hexBytes("fd7e9f0bca12fea6" + "01" + "08")
        var serverParameters = TransportParameters()
        serverParameters.natTraversal = .server(concurrencyLimit: 8)
        #expect(serverParameters.encode() == server)
        #expect(try TransportParameters.decode(server, sentBy: .server).natTraversal == .server(concurrencyLimit: 8))
    }

    @Test func natTraversalParameterValuesOutsideTheDraftAreErrors() {
        let id = "fd7e9f0bca12fea6"
        let cases: [(String, EndpointRole)] = [
            (id + "01" + "08", .client),   // a client's value must be empty
            (id + "00", .server),          // a server's must be a varint
            (id + "01" + "00", .server),   // … above 0
            (id + "02" + "0800", .server), // … filling the value
        ]
        for (hex, role) in cases {
            let error = wireError { () throws(QUICWireError) in try TransportParameters.decode(hexBytes(hex), sentBy: role) }
            #expect(error?.code == .transportParameterError, "\(hex) from \(role)")
        }
        let twice = hexBytes(id + "00" + id + "00")
        #expect(wireError { () throws(QUICWireError) in try TransportParameters.decode(twice, sentBy: .client) }?.code
            == .transportParameterError)
    }

    @Test func addressDiscoveryParameter() throws {
        // 0x9f81a176 needs an 8-byte varint (it is above 2^30 - 1).
        for mode in AddressDiscoveryMode.allCases {
            let bytes = hexBytes("c00000009f81a176" + "01") + [UInt8(mode.rawValue)]
            var parameters = TransportParameters()
            parameters.addressDiscovery = mode
            #expect(parameters.encode() == bytes)
            #expect(try TransportParameters.decode(bytes, sentBy: .client).addressDiscovery == mode)
        }
        #expect(AddressDiscoveryMode.provideOnly.provides && !AddressDiscoveryMode.provideOnly.receives)
        #expect(!AddressDiscoveryMode.receiveOnly.provides && AddressDiscoveryMode.receiveOnly.receives)
        #expect(AddressDiscoveryMode.both.provides && AddressDiscoveryMode.both.receives)
        let three = hexBytes("c00000009f81a176" + "01" + "03")
        #expect(wireError { () throws(QUICWireError) in try TransportParameters.decode(three, sentBy: .server) }?.code
            == .transportParameterError)
    }
}

extension VarInt {
    /// The varint at the start of `bytes` (test helper).
    static func readForTest(_ bytes: [UInt8]) -> UInt64? {
        var reader = ByteReader(bytes)
        return try? reader.readVarInt()
    }
}
