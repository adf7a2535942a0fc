import Testing
@testable import QUICWire

/// Pseudo-random and mutated inputs must never trap; whatever parses must re-encode consistently.
@Suite("Random bytes never trap")
struct RandomInputTests {
    static let bufferCount = 20_000

    /// Valid material to mutate, so random changes reach deep into the parsers.
    static let frameSeeds: [[UInt8]] = FrameSamples.all.map(encoded).filter { $0.count < 200 }
    static let parameterSeeds: [[UInt8]] = TransportParametersTests.singleParameterCases.map { $0.encode() }
    static let headerSeeds: [[UInt8]] = {
        var seeds: [[UInt8]] = []
        for type in [LongPacketType.initial, .zeroRTT, .handshake] {
            seeds.append(PacketHeaderTests.longPacket(type, token: type == .initial ? [1, 2, 3, 4] : []).bytes)
        }
        var short: [UInt8] = []
        _ = PacketHeaderBuilder.appendShortHeader(destination: cid(8), keyPhase: true, packetNumber: 9,
                                                  packetNumberLength: 2, into: &short)
        seeds.append(short + [1, 2, 3, 4, 5])
        seeds.append(PacketHeaderBuilder.retryWithoutTag(version: QUICVersion.v1, destination: cid(4), source: cid(8),
                                                         token: [5, 6, 7], randomBits: 3) + [UInt8](repeating: 1, count: 16))
        seeds.append(PacketHeaderBuilder.versionNegotiation(destination: cid(8), source: cid(4), versions: [1, 2],
                                                            randomFirstByte: 0x11))
        return seeds
    }()

    /// The next input: plain random bytes, or a concatenation of valid seeds with a few bytes changed,
    /// one byte inserted or the tail cut.
    static func nextBuffer(_ index: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let seeds: [[UInt8]]
        switch index % 4 {
        case 0: return rng.bytes(Int(rng.next() % 96))
        case 1: seeds = frameSeeds
        case 2: seeds = headerSeeds
        default: seeds = parameterSeeds
        }
        var buffer: [UInt8] = []
        for _ in 0...(rng.next() % 3) {
            buffer += seeds[Int(rng.next() % UInt64(seeds.count))]
        }
        guard !buffer.isEmpty else { return buffer }
        for _ in 0..<(1 + rng.next() % 4) {
            buffer[Int(rng.next() % UInt64(buffer.count))] = UInt8(truncatingIfNeeded: rng.next())
        }
        switch rng.next() % 4 {
        case 0: buffer.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(buffer.count)))
        case 1: buffer.removeLast(Int(rng.next() % UInt64(buffer.count)))
        default: break
        }
        return buffer
    }

    @Test func parsersAreTotalAndConsistentOnPseudoRandomInput() {
        var rng = SplitMix64(seed: 0x51ce_f00d)
        var parsedFrames = 0, frameErrors = 0, parsedParameters = 0, parsedHeaders = 0
        for index in 0..<Self.bufferCount {
            let buffer = Self.nextBuffer(index, &rng)
            let (frames, frameFailed) = Self.checkFrames(buffer)
            parsedFrames += frames
            frameErrors += frameFailed ? 1 : 0
            parsedParameters += Self.checkTransportParameters(buffer)
            parsedHeaders += Self.checkHeaders(buffer, connectionIDLength: Int(rng.next() % 21))
        }
        // The mutated seeds must actually reach the success paths, or this test proves little.
        #expect(parsedFrames > 5_000)
        #expect(frameErrors > 1_000)
        #expect(parsedParameters > 1_000)
        #expect(parsedHeaders > 1_000)
    }

    /// Parses frames until the end or an error; every parsed frame must re-encode to bytes that parse
    /// back to the same frame, with `wireLength` equal to the encoded size.
    static func checkFrames(_ buffer: [UInt8]) -> (parsed: Int, failed: Bool) {
        var reader = ByteReader(buffer)
        var count = 0
        while !reader.isAtEnd {
            let before = reader.position
            guard let frame = try? Frame.parse(from: &reader) else { return (count, true) }
            #expect(reader.position > before, "parsing consumes input")
            let bytes = encoded(frame)
            #expect(frame.wireLength == bytes.count)
            #expect((try? parseOne(bytes).frame) == frame, "\(frame) re-encodes consistently")
            count += 1
        }
        return (count, false)
    }

    /// Decodes as both roles; whatever decodes must survive an encode/decode round trip.
    static func checkTransportParameters(_ buffer: [UInt8]) -> Int {
        var decoded = 0
        for role in [EndpointRole.client, .server] {
            do {
                let parameters = try TransportParameters.decode(buffer, sentBy: role)
                #expect(try TransportParameters.decode(parameters.encode(), sentBy: role) == parameters)
                decoded += 1
            } catch {
                #expect(error.code == .transportParameterError)
            }
        }
        return decoded
    }

    /// Parses every coalesced packet; offsets must be ordered and inside the datagram.
    static func checkHeaders(_ buffer: [UInt8], connectionIDLength: Int) -> Int {
        _ = PacketHeader.peekVersion(datagram: buffer)
        _ = PacketHeader.peekLongHeaderInvariants(datagram: buffer)
        _ = PacketHeader.peekDestinationConnectionID(datagram: buffer, shortHeaderConnectionIDLength: connectionIDLength)
        var offset = 0
        var parsed = 0
        while offset < buffer.count,
              let header = try? PacketHeader.parse(datagram: buffer, at: offset,
                                                   shortHeaderConnectionIDLength: connectionIDLength) {
            #expect(header.packetStart == offset)
            #expect(header.packetStart < header.packetNumberOffset || header.packetNumberOffset == header.packetEnd)
            #expect(header.packetNumberOffset <= header.packetEnd)
            #expect(header.packetEnd <= buffer.count)
            guard header.packetEnd > offset else {
                Issue.record("no progress at \(offset)")
                break
            }
            offset = header.packetEnd
            parsed += 1
        }
        return parsed
    }
}
