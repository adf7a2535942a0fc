import Testing
@testable import QUICCrypto

/// Packet protection against RFC 9001 Appendix A (A.2 client Initial, A.3 server Initial, A.5 ChaCha20
/// short header) and an AES-256-GCM short-header packet computed with an independent implementation.
@Suite struct PacketProtectorRFC9001Tests {
    struct Case {
        let protector: PacketProtector
        let header: [UInt8]
        let payload: [UInt8]
        let protected: [UInt8]
        let packetNumber: UInt64

        var packetNumberLength: Int { Int(header[0] & 0x03) + 1 }
        var pnOffset: Int { header.count - packetNumberLength }
    }

    static func initialCase(_ packet: RFC9001Vectors.Packet, client: Bool) throws -> Case {
        let vectors = try RFC9001Vectors.load()
        let keys = InitialSecrets.keys(destinationConnectionID: try [UInt8](hex: vectors.initial.clientDcid))
        return Case(protector: PacketProtector(keys: client ? keys.client : keys.server),
                    header: try [UInt8](hex: packet.plainHeader), payload: try [UInt8](hex: packet.plainPayload),
                    protected: try [UInt8](hex: packet.protectedPacket), packetNumber: packet.packetNumber)
    }

    static func cases() throws -> [String: Case] {
        let vectors = try RFC9001Vectors.load()
        let chacha = vectors.chacha20ShortHeader
        let chachaKeys = try PacketProtectionKeys(secret: try [UInt8](hex: chacha.secret), suite: .chacha20Poly1305SHA256)
        // Computed with Python `cryptography` 48 (OpenSSL AES-GCM / AES-ECB) and hmac-based HKDF, secret 0x00...0x2f.
        let aes256Keys = try PacketProtectionKeys(secret: [UInt8](0..<48), suite: .aes256GCMSHA384)
        return [
            "client Initial (A.2)": try initialCase(vectors.clientInitial, client: true),
            "server Initial (A.3)": try initialCase(vectors.serverInitial, client: false),
            "ChaCha20 short header (A.5)": Case(
                protector: PacketProtector(keys: chachaKeys), header: try [UInt8](hex: chacha.plainHeader),
                payload: try [UInt8](hex: chacha.plainPayload), protected: try [UInt8](hex: chacha.protectedPacket),
                packetNumber: chacha.packetNumber),
            "AES-256-GCM short header": Case(
                protector: PacketProtector(keys: aes256Keys), header: try [UInt8](hex: "411111111111111111a1b2"),
                payload: [0x01] + [UInt8](repeating: 0, count: 15),
                protected: try [UInt8](hex: "48111111111111111131ee426b88088877c06c46132e21bb3ba0de7ff6c045abbb25a13217aef766773f4f"),
                packetNumber: 0x5a1b2),
        ]
    }

    static let names = ["client Initial (A.2)", "server Initial (A.3)", "ChaCha20 short header (A.5)",
                        "AES-256-GCM short header"]

    @Test(arguments: names)
    func sealProducesTheExpectedPacket(name: String) throws {
        let vector = try #require(try Self.cases()[name])
        var packet = vector.header + vector.payload
        try vector.protector.seal(packet: &packet, packetStart: 0, packetNumberOffset: vector.pnOffset,
                                  packetNumberLength: vector.packetNumberLength, packetNumber: vector.packetNumber)
        #expect(packet.hex == vector.protected.hex)
    }

    @Test(arguments: names)
    func removeHeaderProtectionAndOpenRecoverThePlaintext(name: String) throws {
        let vector = try #require(try Self.cases()[name])
        var packet = vector.protected
        let read = try vector.protector.removeHeaderProtection(packet: &packet, packetStart: 0,
                                                               packetNumberOffset: vector.pnOffset,
                                                               packetEnd: packet.count)
        #expect(read.length == vector.packetNumberLength)
        let truncationMask: UInt64 = (1 << UInt64(8 * read.length)) - 1
        #expect(read.truncated == vector.packetNumber & truncationMask)
        #expect(Array(packet[..<vector.header.count]) == vector.header)
        let payload = try vector.protector.open(packet: packet, packetStart: 0, payloadOffset: vector.header.count,
                                                packetEnd: packet.count, packetNumber: vector.packetNumber)
        #expect(payload == vector.payload)
    }

    /// RFC 9001 A.5 states the decoded values explicitly: first byte 0x42, packet number 0x00bff4 on 3 bytes.
    @Test func chaCha20ShortHeaderUnprotectedFields() throws {
        let vector = try #require(try Self.cases()["ChaCha20 short header (A.5)"])
        var packet = vector.protected
        let read = try vector.protector.removeHeaderProtection(packet: &packet, packetStart: 0, packetNumberOffset: 1,
                                                               packetEnd: packet.count)
        #expect(packet[0] == 0x42)
        #expect(read.length == 3)
        #expect(read.truncated == 0x00bff4)
    }

    /// The receiver of the client Initial opens it with the server's view of the same secret.
    @Test func serverOpensTheClientInitialOnlyWithClientKeys() throws {
        let client = try #require(try Self.cases()["client Initial (A.2)"])
        let server = try #require(try Self.cases()["server Initial (A.3)"])
        var packet = client.protected
        _ = try server.protector.removeHeaderProtection(packet: &packet, packetStart: 0,
                                                        packetNumberOffset: client.pnOffset, packetEnd: packet.count)
        let pnLength = Int(packet[0] & 0x03) + 1
        #expect(throws: QUICCryptoError.authenticationFailed) {
            _ = try server.protector.open(packet: packet, packetStart: 0, payloadOffset: client.pnOffset + pnLength,
                                          packetEnd: packet.count, packetNumber: client.packetNumber)
        }
    }
}
