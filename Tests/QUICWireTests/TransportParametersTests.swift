import Testing
@testable import QUICWire

@Suite("Transport parameters (RFC 9000 §18, RFC 9221 §3)")
struct TransportParametersTests {
    static let token = StatelessResetToken([UInt8](100..<116))!
    /// IPv4 192.0.2.1:443, IPv6 [2001:db8::1]:443, a 4-byte CID and a reset token.
    static let preferredAddress: [UInt8] = [192, 0, 2, 1, 0x01, 0xbb]
        + [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1] + [0x01, 0xbb]
        + [4, 0xa, 0xb, 0xc, 0xd] + [UInt8](repeating: 0x77, count: 16)

    /// Parameters with exactly one field differing from the defaults (sent by a server).
    static let singleParameterCases: [TransportParameters] = {
        var cases: [TransportParameters] = []
        func add(_ change: (inout TransportParameters) -> Void) {
            var parameters = TransportParameters()
            change(&parameters)
            cases.append(parameters)
        }
        add { $0.originalDestinationConnectionID = cid(8) }
        add { $0.originalDestinationConnectionID = .empty }
        add { $0.maxIdleTimeout = 30_000 }
        add { $0.statelessResetToken = token }
        add { $0.maxUDPPayloadSize = 1200 }
        add { $0.maxUDPPayloadSize = VarInt.max }
        add { $0.initialMaxData = 1 << 24 }
        add { $0.initialMaxStreamDataBidiLocal = 65536 }
        add { $0.initialMaxStreamDataBidiRemote = VarInt.max }
        add { $0.initialMaxStreamDataUni = 1 }
        add { $0.initialMaxStreamsBidi = 1 << 60 }
        add { $0.initialMaxStreamsUni = 100 }
        add { $0.ackDelayExponent = 20 }
        add { $0.ackDelayExponent = 0 }
        add { $0.maxAckDelay = (1 << 14) - 1 }
        add { $0.disableActiveMigration = true }
        add { $0.preferredAddress = preferredAddress }
        add { $0.activeConnectionIDLimit = 8 }
        add { $0.initialSourceConnectionID = cid(20) }
        add { $0.retrySourceConnectionID = cid(4) }
        add { $0.maxDatagramFrameSize = 65535 }
        add { $0.maxDatagramFrameSize = 0 }
        add { $0.natTraversal = .server(concurrencyLimit: 8) }
        add { $0.natTraversal = .server(concurrencyLimit: VarInt.max) }
        add { $0.addressDiscovery = .provideOnly }
        add { $0.addressDiscovery = .both }
        add { $0.unknown = [0x1234: [1, 2, 3], 0xff_0000: []] }
        return cases
    }()

    /// One parameter on the wire.
    static func parameter(_ id: UInt64, _ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendVarInt(id)
        out.appendVarInt(UInt64(value.count))
        return out + value
    }

    /// One integer parameter on the wire.
    static func integer(_ id: UInt64, _ value: UInt64) -> [UInt8] {
        var encodedValue: [UInt8] = []
        encodedValue.appendVarInt(value)
        return parameter(id, encodedValue)
    }

    private func decodeError(_ bytes: [UInt8], sentBy role: EndpointRole = .server) -> QUICWireError? {
        wireError { () throws(QUICWireError) in try TransportParameters.decode(bytes, sentBy: role) }
    }

    // MARK: - Round trips

    @Test func defaultsEncodeToNothing() throws {
        #expect(TransportParameters().encode() == [])
        #expect(try TransportParameters.decode([], sentBy: .client) == TransportParameters())
        let defaults = TransportParameters()
        #expect(defaults.maxUDPPayloadSize == 65527 && defaults.ackDelayExponent == 3 && defaults.maxAckDelay == 25)
        #expect(defaults.activeConnectionIDLimit == 2 && defaults.maxDatagramFrameSize == nil)
    }

    @Test(arguments: singleParameterCases)
    func everyParameterRoundTrips(parameters: TransportParameters) throws {
        let bytes = parameters.encode()
        #expect(!bytes.isEmpty, "a non-default parameter is encoded")
        #expect(try TransportParameters.decode(bytes, sentBy: .server) == parameters)
    }

    @Test func allParametersTogetherRoundTrip() throws {
        var parameters = TransportParameters()
        parameters.originalDestinationConnectionID = cid(8)
        parameters.maxIdleTimeout = 30_000
        parameters.statelessResetToken = Self.token
        parameters.maxUDPPayloadSize = 1452
        parameters.initialMaxData = 1 << 24
        parameters.initialMaxStreamDataBidiLocal = 1 << 20
        parameters.initialMaxStreamDataBidiRemote = 1 << 20
        parameters.initialMaxStreamDataUni = 1 << 20
        parameters.initialMaxStreamsBidi = 100
        parameters.initialMaxStreamsUni = 3
        parameters.ackDelayExponent = 8
        parameters.maxAckDelay = 100
        parameters.disableActiveMigration = true
        parameters.preferredAddress = Self.preferredAddress
        parameters.activeConnectionIDLimit = 4
        parameters.initialSourceConnectionID = cid(8, start: 0x30)
        parameters.retrySourceConnectionID = cid(8, start: 0x50)
        parameters.maxDatagramFrameSize = 1200
        parameters.unknown = [0x4242: [9, 9]]
        #expect(try TransportParameters.decode(parameters.encode(), sentBy: .server) == parameters)
    }

    @Test func encodesIdsAndIntegersAsVarints() {
        var parameters = TransportParameters()
        parameters.initialMaxData = 1_000_000
        parameters.disableActiveMigration = true
        #expect(parameters.encode() == [0x04, 0x04, 0x80, 0x0f, 0x42, 0x40, 0x0c, 0x00])
    }

    @Test func clientParametersRoundTripAndExplicitDefaultsDecodeToDefaults() throws {
        var parameters = TransportParameters()
        parameters.initialSourceConnectionID = .empty
        parameters.maxIdleTimeout = 10_000
        #expect(try TransportParameters.decode(parameters.encode(), sentBy: .client) == parameters)
        #expect(try TransportParameters.decode(Self.integer(0x03, 65527), sentBy: .client) == TransportParameters())
    }

    @Test func reservedIdsAreIgnoredAndUnknownIdsKept() throws {
        let bytes = Self.parameter(27, [1, 2]) + Self.parameter(31 * 1000 + 27, []) + Self.parameter(0x5555, [7])
            + Self.integer(0x04, 99)
        let decoded = try TransportParameters.decode(bytes, sentBy: .client)
        #expect(decoded.unknown == [0x5555: [7]])
        #expect(decoded.initialMaxData == 99)
        #expect(TransportParameterID(rawValue: 27).isReserved && TransportParameterID(rawValue: 58).isReserved)
        #expect(!TransportParameterID(rawValue: 28).isReserved)
    }

    @Test func unknownEntriesWithKnownIdsAreNotEncodedTwice() throws {
        var parameters = TransportParameters()
        parameters.unknown = [0x04: [0x01]]
        #expect(parameters.encode() == [])
    }

    // MARK: - Malformed input

    @Test func duplicatesAreRejected() {
        #expect(decodeError(Self.integer(0x04, 1) + Self.integer(0x04, 1))?.code == .transportParameterError)
        #expect(decodeError(Self.parameter(0x5555, []) + Self.parameter(0x5555, []))?.code == .transportParameterError)
        #expect(decodeError(Self.parameter(27, []) + Self.parameter(27, []))?.code == .transportParameterError)
    }

    @Test func truncationInsideAParameterThrows() throws {
        var parameters = TransportParameters()
        parameters.initialMaxData = 1 << 24
        parameters.initialSourceConnectionID = cid(8)
        parameters.statelessResetToken = Self.token
        parameters.maxDatagramFrameSize = 1200
        let bytes = parameters.encode()
        // Boundaries between parameters are valid places to stop; every other cut must throw.
        var boundaries: Set<Int> = [0]
        var reader = ByteReader(bytes)
        while !reader.isAtEnd {
            _ = try reader.readVarInt()
            try reader.skip(Int(try reader.readVarInt()))
            boundaries.insert(reader.position)
        }
        #expect(boundaries.count == 5)
        for cut in 0...bytes.count {
            let error = decodeError(Array(bytes[0..<cut]))
            if boundaries.contains(cut) {
                #expect(error == nil, "cut at \(cut)")
            } else {
                #expect(error?.code == .transportParameterError, "cut at \(cut)")
            }
        }
    }

    @Test func outOfRangeValuesAreRejected() {
        let invalid: [(id: UInt64, value: UInt64)] = [
            (0x03, 1199), (0x03, 0), (0x08, (1 << 60) + 1), (0x09, VarInt.max), (0x0a, 21), (0x0b, 1 << 14),
            (0x0e, 1), (0x0e, 0),
        ]
        for (id, value) in invalid {
            #expect(decodeError(Self.integer(id, value))?.code == .transportParameterError, "id \(id) value \(value)")
        }
        let valid: [(id: UInt64, value: UInt64)] = [(0x03, 1200), (0x08, 1 << 60), (0x0a, 20), (0x0b, (1 << 14) - 1), (0x0e, 2)]
        for (id, value) in valid {
            #expect(decodeError(Self.integer(id, value)) == nil, "id \(id) value \(value)")
        }
    }

    @Test func wrongLengthsAreRejected() {
        let cases: [[UInt8]] = [
            Self.parameter(0x02, [UInt8](repeating: 1, count: 15)),     // reset token too short
            Self.parameter(0x02, [UInt8](repeating: 1, count: 17)),     // reset token too long
            Self.parameter(0x0c, [0]),                                  // disable_active_migration not empty
            Self.parameter(0x04, []),                                   // integer without a value
            Self.parameter(0x04, [0x01, 0x00]),                         // integer followed by junk
            Self.parameter(0x04, [0x40]),                               // integer truncated inside its value
            Self.parameter(0x0f, [UInt8](repeating: 1, count: 21)),     // connection ID too long
            Self.parameter(0x00, [UInt8](repeating: 1, count: 21)),
            Self.parameter(0x0d, Array(Self.preferredAddress.dropLast())),       // preferred address too short
            Self.parameter(0x0d, Self.preferredAddress + [0]),                   // longer than its CID says
            Self.parameter(0x0d, Array(Self.preferredAddress[0..<24]) + [0] + [UInt8](repeating: 0, count: 16)),
            [0x04, 0x05, 0x01],                                         // length beyond the input
            [0x04],                                                     // id without a length
        ]
        for bytes in cases {
            #expect(decodeError(bytes)?.code == .transportParameterError, "\(bytes)")
        }
    }

    @Test(arguments: [UInt64(0x00), 0x02, 0x0d, 0x10])
    func serverOnlyParametersFromAClientAreRejected(id: UInt64) throws {
        var parameters = TransportParameters()
        switch id {
        case 0x00: parameters.originalDestinationConnectionID = cid(8)
        case 0x02: parameters.statelessResetToken = Self.token
        case 0x0d: parameters.preferredAddress = Self.preferredAddress
        default: parameters.retrySourceConnectionID = cid(8)
        }
        let bytes = parameters.encode()
        #expect(bytes.first == UInt8(id))
        #expect(TransportParameterID(rawValue: id).isServerOnly)
        #expect(decodeError(bytes, sentBy: .client)?.code == .transportParameterError)
        #expect(try TransportParameters.decode(bytes, sentBy: .server) == parameters)
    }
}
