import QUICTLS
import QUICTestFixtures
import Testing

/// CRYPTO data is peer input: anything malformed must end in a ``TLSError``, never a crash or a hang.
@Suite struct TLSGarbageInputTests {
    /// SplitMix64: a seeded generator so that every run feeds the same bytes.
    private struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private func server(_ files: TestCertificates.Files) throws -> TLSSession {
        try TLSSession(context: TLSContext(configuration: .testServer(files)), serverName: nil, transportParameters: [1, 0])
    }

    private func startedClient(_ files: TestCertificates.Files) throws -> TLSSession {
        let client = try TLSSession(context: TLSContext(configuration: .testClient(files)), serverName: "localhost",
                                    transportParameters: [1, 0])
        try client.start()
        while client.pollOutput() != nil {}
        return client
    }

    /// A handshake message header (RFC 8446 §4) with a random body of exactly the declared length, so that
    /// BoringSSL must parse it instead of waiting for more bytes.
    private func framedGarbage(type: UInt8, length: Int, using generator: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = [type, UInt8(length >> 16), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        for _ in 0..<length { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
        return bytes
    }

    @Test func garbageClientHelloFailsTheServerWithAnAlert() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var generator = SeededGenerator(state: 1)
        for round in 0..<50 {
            let session = try server(files)
            let garbage = framedGarbage(type: 0x01, length: Int.random(in: 0...600, using: &generator),
                                        using: &generator)
            let error = #expect(throws: TLSError.self, "round \(round)") {
                try session.handle(cryptoData: garbage, level: .initial)
            }
            // A ClientHello that does not parse is a decode_error (50), carried as CRYPTO_ERROR 0x132.
            #expect(error?.alert == 50, "round \(round): \(error?.message ?? "")")
            #expect(error?.quicErrorCode == 0x132)
            #expect(!session.isHandshakeComplete)
        }
    }

    @Test func unexpectedMessageTypeFailsWithUnexpectedMessage() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var generator = SeededGenerator(state: 2)
        let session = try server(files)
        let garbage = framedGarbage(type: 0x14, length: 32, using: &generator)   // a Finished, far too early
        let error = #expect(throws: TLSError.self) { try session.handle(cryptoData: garbage, level: .initial) }
        #expect(error?.alert == 10)   // unexpected_message
        #expect(error?.quicErrorCode == 0x10A)
    }

    @Test func garbageServerFlightFailsTheClient() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var generator = SeededGenerator(state: 3)
        for round in 0..<20 {
            let client = try startedClient(files)
            let garbage = framedGarbage(type: 0x02, length: Int.random(in: 0...300, using: &generator),
                                        using: &generator)
            #expect(throws: TLSError.self, "round \(round)") {
                try client.handle(cryptoData: garbage, level: .initial)
            }
            #expect(!client.isHandshakeComplete)
        }
    }

    @Test func unframedRandomBytesNeverCompleteAHandshake() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        var generator = SeededGenerator(state: 4)
        for _ in 0..<100 {
            let session = try server(files)
            let count = Int.random(in: 1...2000, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Either rejected, or (if the random header declares more bytes than given) still waiting.
            let failed = (try? session.handle(cryptoData: bytes, level: .initial)) == nil
            #expect(!session.isHandshakeComplete)
            if !failed { #expect(session.pollOutput() == nil) }
        }
    }

    @Test func dataAtALevelTheHandshakeIsNotReadingIsRejected() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        for level in [TLSEncryptionLevel.earlyData, .handshake, .application] {
            let session = try server(files)
            let error = #expect(throws: TLSError.self, "\(level)") {
                try session.handle(cryptoData: [0x14, 0, 0, 0], level: level)
            }
            #expect(error?.alert == nil)
            #expect(error?.quicErrorCode == 0x1)
        }
    }

    @Test func oversizedFlightIsRejectedBeforeBuffering() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let session = try server(files)
        // A ClientHello header announcing 1 MiB: BoringSSL limits an Initial flight to 16 KiB
        // (RFC 9000 §7.5 lets an endpoint bound the CRYPTO data it buffers).
        let header: [UInt8] = [0x01, 0x10, 0x00, 0x00]
        try session.handle(cryptoData: header, level: .initial)   // incomplete: waits for more
        #expect(throws: TLSError.self) {
            try session.handle(cryptoData: [UInt8](repeating: 0, count: 20_000), level: .initial)
        }
    }

    @Test func emptyInputIsIgnored() throws {
        let files = try TestCertificates.writeToTemporaryDirectory()
        defer { files.remove() }
        let session = try server(files)
        try session.handle(cryptoData: [], level: .application)
        #expect(session.pollOutput() == nil)
    }
}
