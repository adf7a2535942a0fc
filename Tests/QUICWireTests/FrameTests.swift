import Testing
@testable import QUICWire

/// At least one frame of every kind, with small, boundary and maximal field values.
enum FrameSamples {
    static let token16 = StatelessResetToken([UInt8](1...16))!
    static let big = VarInt.max

    static let all: [Frame] = [
        .padding(count: 1),
        .padding(count: 37),
        .ping,
        .ack(AckFrame(ranges: [0...0], ackDelay: 0)),
        .ack(AckFrame(ranges: [10...12, 5...7, 0...2], ackDelay: 1234)),
        .ack(AckFrame(ranges: [(big - 5)...big, 1000...1000, 0...1], ackDelay: big)),
        .ack(AckFrame(ranges: [100...200], ackDelay: 3, ecnCounts: ECNCounts(ect0: 1, ect1: 0, ce: big))),
        .resetStream(streamID: 4, errorCode: 0x10, finalSize: 1 << 40),
        .stopSending(streamID: big, errorCode: 0),
        .crypto(offset: 0, data: [0x16, 0x03, 0x01]),
        .crypto(offset: 16384, data: []),
        .crypto(offset: big - 2, data: [1, 2]),
        .newToken(token: [0xaa]),
        .newToken(token: [UInt8](repeating: 0x5a, count: 300)),
        .stream(StreamFrame(streamID: 0, offset: 0, data: [1, 2, 3], fin: false)),
        .stream(StreamFrame(streamID: 4, offset: 0, data: [], fin: true)),
        .stream(StreamFrame(streamID: 7, offset: 1 << 20, data: [UInt8](repeating: 9, count: 70), fin: false)),
        .stream(StreamFrame(streamID: big, offset: big - 1, data: [0xff], fin: true)),
        .maxData(0),
        .maxData(big),
        .maxStreamData(streamID: 2, maximum: 65536),
        .maxStreams(bidirectional: true, maximum: 100),
        .maxStreams(bidirectional: false, maximum: 1 << 60),
        .dataBlocked(limit: 64),
        .streamDataBlocked(streamID: 3, limit: 16383),
        .streamsBlocked(bidirectional: true, limit: 0),
        .streamsBlocked(bidirectional: false, limit: 1 << 60),
        .newConnectionID(NewConnectionIDFrame(sequence: 1, retirePriorTo: 0, connectionID: cid(8), statelessResetToken: token16)),
        .newConnectionID(NewConnectionIDFrame(sequence: big, retirePriorTo: big, connectionID: cid(20),
                                              statelessResetToken: token16)),
        .newConnectionID(NewConnectionIDFrame(sequence: 5, retirePriorTo: 5, connectionID: cid(1), statelessResetToken: token16)),
        .retireConnectionID(sequence: 3),
        .pathChallenge(data: 0x0102_0304_0506_0708),
        .pathResponse(data: .max),
        .connectionClose(ConnectionCloseFrame(isApplicationError: false, errorCode: 0x07, frameType: 0x08,
                                              reason: Array("bad stream".utf8))),
        .connectionClose(ConnectionCloseFrame(isApplicationError: false, errorCode: 0x128, frameType: 0, reason: [])),
        .connectionClose(ConnectionCloseFrame(isApplicationError: true, errorCode: 42, frameType: 0, reason: [0xe2, 0x9c, 0x93])),
        .handshakeDone,
        .datagram(data: []),
        .datagram(data: [UInt8](repeating: 0x42, count: 1200)),
        .addAddress(AddAddressFrame(sequence: 0, address: FrameAddress(ip: .v4(0xc000_0201), port: 4433))),
        .addAddress(AddAddressFrame(sequence: big, address: FrameAddress(ip: .v6(high: .max, low: 1), port: 0))),
        .punchMeNow(PunchMeNowFrame(round: 1, pairedWith: 0, address: FrameAddress(ip: .v4(0), port: .max))),
        .punchMeNow(PunchMeNowFrame(round: big, pairedWith: big,
                                    address: FrameAddress(ip: .v6(high: 0x2001_0db8 << 32, low: 7), port: 443))),
        .removeAddress(sequence: 0),
        .removeAddress(sequence: big),
        .observedAddress(ObservedAddressFrame(sequence: 2, address: FrameAddress(ip: .v4(.max), port: 51820))),
        .observedAddress(ObservedAddressFrame(sequence: 1 << 30, address: FrameAddress(ip: .v6(high: 0, low: 1), port: 1))),
    ]
}

@Suite("Frames: encoding and parsing (RFC 9000 §19, RFC 9221 §4)")
struct FrameTests {
    @Test(arguments: FrameSamples.all)
    func roundTrips(frame: Frame) throws {
        let bytes = encoded(frame)
        #expect(frame.wireLength == bytes.count)
        let parsed = try parseOne(bytes)
        #expect(parsed.frame == frame)
        #expect(parsed.atEnd)
        // The frame starts with the type it reports, minimally encoded.
        var reader = ByteReader(bytes)
        #expect(try reader.readVarInt() == frame.frameType)
        #expect(reader.position == VarInt.encodedLength(of: frame.frameType))
    }

    @Test func aSequenceOfFramesParsesBackInOrder() throws {
        // PADDING is left out: a PADDING run would merge with a following PADDING frame.
        let frames = FrameSamples.all.filter { if case .padding = $0 { return false } else { return true } }
        var buffer: [UInt8] = []
        for frame in frames {
            frame.encode(into: &buffer)
        }
        var reader = ByteReader(buffer)
        var parsed: [Frame] = []
        while !reader.isAtEnd {
            parsed.append(try Frame.parse(from: &reader))
        }
        #expect(parsed == frames)
    }

    @Test func consecutivePaddingBytesAreOneFrame() throws {
        var reader = ByteReader([0, 0, 0, 0, 0x01, 0, 0])
        #expect(try Frame.parse(from: &reader) == .padding(count: 4))
        #expect(try Frame.parse(from: &reader) == .ping)
        #expect(try Frame.parse(from: &reader) == .padding(count: 2))
        #expect(reader.isAtEnd)
    }

    // MARK: - Encoding rules

    @Test func streamFramesAlwaysCarryLengthAndOffsetOnlyWhenNonzero() {
        #expect(encoded(.stream(StreamFrame(streamID: 1, offset: 0, data: [7], fin: false))) == [0x0a, 0x01, 0x01, 0x07])
        #expect(encoded(.stream(StreamFrame(streamID: 1, offset: 0, data: [], fin: true))) == [0x0b, 0x01, 0x00])
        #expect(encoded(.stream(StreamFrame(streamID: 1, offset: 5, data: [7], fin: true))) == [0x0f, 0x01, 0x05, 0x01, 0x07])
    }

    @Test func streamOverheadMatchesTheEncoding() {
        let cases: [(id: UInt64, offset: UInt64, length: Int)] = [
            (0, 0, 0), (1, 1, 1), (64, 16384, 100), (VarInt.max, VarInt.max - 20000, 16384),
        ]
        for (id, offset, length) in cases {
            let frame = Frame.stream(StreamFrame(streamID: id, offset: offset, data: [UInt8](repeating: 0, count: length)))
            #expect(StreamFrame.overhead(streamID: id, offset: offset, dataLength: length) == encoded(frame).count - length)
        }
    }

    @Test func parsesStreamFramesWithoutLengthToTheEndOfThePacket() throws {
        // Type 0x0d: OFF and FIN, no LEN.
        let parsed = try parseOne([0x0d, 0x04, 0x40, 0x80, 0xaa, 0xbb])
        #expect(parsed.frame == .stream(StreamFrame(streamID: 4, offset: 128, data: [0xaa, 0xbb], fin: true)))
        #expect(parsed.atEnd)
        #expect(try parseOne([0x08, 0x00]).frame == .stream(StreamFrame(streamID: 0, offset: 0, data: [], fin: false)))
    }

    @Test func datagramsEncodeWithLengthAndParseBothTypes() throws {
        #expect(encoded(.datagram(data: [1, 2])) == [0x31, 0x02, 1, 2])
        #expect(try parseOne([0x30, 1, 2, 3]).frame == .datagram(data: [1, 2, 3]))
        #expect(try parseOne([0x30]).frame == .datagram(data: []))
    }

    @Test func ackUsesType3OnlyWithECNCounts() {
        #expect(encoded(.ack(AckFrame(ranges: [3...5], ackDelay: 1)))
                == [0x02, 0x05, 0x01, 0x00, 0x02])
        #expect(encoded(.ack(AckFrame(ranges: [3...5], ackDelay: 1, ecnCounts: ECNCounts(ect0: 1, ect1: 2, ce: 3))))
                == [0x03, 0x05, 0x01, 0x00, 0x02, 0x01, 0x02, 0x03])
        // Ranges [10...12, 5...7]: first range 2, then gap = 10 - 7 - 2 = 1 and length 2 (RFC 9000 §19.3.1).
        #expect(encoded(.ack(AckFrame(ranges: [10...12, 5...7], ackDelay: 0)))
                == [0x02, 0x0c, 0x00, 0x01, 0x02, 0x01, 0x02])
    }

    @Test func ackFrameAccessors() {
        let ack = AckFrame(ranges: [10...12, 5...7], ackDelay: 0)
        #expect(ack.largestAcknowledged == 12)
        #expect(ack.contains(6) && ack.contains(12) && !ack.contains(8) && !ack.contains(13))
    }

    @Test func connectionCloseCarriesAWireError() throws {
        let error = QUICWireError(.frameEncodingError, frameType: 0x06, "oops")
        let close = ConnectionCloseFrame(error)
        #expect(close.transportErrorCode == .frameEncodingError)
        #expect(close.frameType == 0x06)
        #expect(close.reason == Array("oops".utf8))
        #expect(!close.isApplicationError)
        // An application close does not encode the frame type field.
        let app = Frame.connectionClose(ConnectionCloseFrame(isApplicationError: true, errorCode: 1, frameType: 9))
        #expect(encoded(app) == [0x1d, 0x01, 0x00])
        #expect(try parseOne(encoded(app)).frame
                == .connectionClose(ConnectionCloseFrame(isApplicationError: true, errorCode: 1, frameType: 0)))
    }

    // MARK: - Classification

    @Test func classifiesAckElicitingProbingAndInFlightFrames() {
        let ack = Frame.ack(AckFrame(ranges: [1...1], ackDelay: 0))
        let close = Frame.connectionClose(ConnectionCloseFrame(isApplicationError: false, errorCode: 0))
        for frame in FrameSamples.all {
            switch frame {
            case .ack, .connectionClose:
                #expect(!frame.isAckEliciting && !frame.countsInFlight)
            case .padding:
                #expect(!frame.isAckEliciting && frame.countsInFlight && frame.isProbing)
            default:
                #expect(frame.isAckEliciting && frame.countsInFlight)
            }
        }
        #expect(!ack.isProbing && !close.isProbing && !Frame.ping.isProbing)
        #expect(Frame.pathChallenge(data: 1).isProbing)
        #expect(Frame.pathResponse(data: 1).isProbing)
        // 2 PADDING, 3 NEW_CONNECTION_ID, 2 path, 2 OBSERVED_ADDRESS (draft-ietf-quic-address-discovery §4).
        #expect(FrameSamples.all.filter(\.isProbing).count == 2 + 3 + 2 + 2)
    }
}
