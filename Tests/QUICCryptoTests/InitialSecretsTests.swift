import Testing
@testable import QUICCrypto

@Suite struct InitialSecretsTests {
    let vectors: RFC9001Vectors.Initial

    init() throws {
        vectors = try RFC9001Vectors.load().initial
    }

    @Test func saltIsTheQUICv1Salt() throws {
        #expect(InitialSecrets.salt == (try [UInt8](hex: vectors.initialSalt)))
        #expect(InitialSecrets.suite == .aes128GCMSHA256)
    }

    /// RFC 9001 A.1.
    @Test func secretsMatchRFC9001AppendixA1() throws {
        let dcid = try [UInt8](hex: vectors.clientDcid)
        #expect(InitialSecrets.initialSecret(destinationConnectionID: dcid) == (try [UInt8](hex: vectors.initialSecret)))
        let secrets = InitialSecrets.derive(destinationConnectionID: dcid)
        #expect(secrets.client == (try [UInt8](hex: vectors.clientInitialSecret)))
        #expect(secrets.server == (try [UInt8](hex: vectors.serverInitialSecret)))
    }

    /// RFC 9001 A.1: key, iv and hp for both directions.
    @Test func keysMatchRFC9001AppendixA1() throws {
        let keys = InitialSecrets.keys(destinationConnectionID: try [UInt8](hex: vectors.clientDcid))
        #expect(keys.client.suite == .aes128GCMSHA256)
        #expect(keys.client.secret == (try [UInt8](hex: vectors.clientInitialSecret)))
        #expect(keys.client.key == (try [UInt8](hex: vectors.clientKey)))
        #expect(keys.client.iv == (try [UInt8](hex: vectors.clientIv)))
        #expect(keys.client.headerProtectionKey == (try [UInt8](hex: vectors.clientHp)))
        #expect(keys.server.key == (try [UInt8](hex: vectors.serverKey)))
        #expect(keys.server.iv == (try [UInt8](hex: vectors.serverIv)))
        #expect(keys.server.headerProtectionKey == (try [UInt8](hex: vectors.serverHp)))
    }

    @Test func differentConnectionIDsGiveDifferentSecrets() throws {
        let dcid = try [UInt8](hex: vectors.clientDcid)
        var other = dcid
        other[0] ^= 0x01
        let a = InitialSecrets.derive(destinationConnectionID: dcid)
        let b = InitialSecrets.derive(destinationConnectionID: other)
        #expect(a.client != b.client)
        #expect(a.server != b.server)
        #expect(a.client != a.server)
        // A zero-length ID is legal on the wire for later packets; derivation must not trap on it.
        let empty = InitialSecrets.derive(destinationConnectionID: [])
        #expect(empty.client.count == 32 && empty.client != a.client)
    }
}
