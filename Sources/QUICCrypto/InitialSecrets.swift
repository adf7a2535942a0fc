import Crypto

// MARK: - InitialSecrets

/// RFC 9001 §5.2: Initial secrets from the client's first Destination Connection ID (QUIC v1 salt
/// 0x38762cf7f55934b34d179ae6a4c80cadccbb7f0a).
///
/// Initial packets are protected with AES-128-GCM and SHA-256 whatever suite the handshake later picks.
public enum InitialSecrets {
    /// The QUIC version 1 initial salt (RFC 9001 §5.2).
    public static let salt: [UInt8] = [
        0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
        0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
    ]

    /// The suite that protects Initial packets (RFC 9001 §5.2).
    public static let suite: CipherSuite = .aes128GCMSHA256

    /// `initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id)` (RFC 9001 §5.2).
    public static func initialSecret(destinationConnectionID: [UInt8]) -> [UInt8] {
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: destinationConnectionID), salt: salt)
        return prk.withUnsafeBytes { Array($0) }
    }

    /// The client and server Initial secrets: HKDF-Expand-Label(initial_secret, "client in" / "server in",
    /// "", 32) (RFC 9001 §5.2).
    public static func derive(destinationConnectionID: [UInt8]) -> (client: [UInt8], server: [UInt8]) {
        let initial = initialSecret(destinationConnectionID: destinationConnectionID)
        let length = suite.hashLength
        return (
            client: HKDFLabel.expand(secret: initial, label: "client in", length: length, suite: suite),
            server: HKDFLabel.expand(secret: initial, label: "server in", length: length, suite: suite)
        )
    }

    /// The client's and server's Initial packet-protection keys for this Destination Connection ID.
    public static func keys(destinationConnectionID: [UInt8]) -> (client: PacketProtectionKeys, server: PacketProtectionKeys) {
        let secrets = derive(destinationConnectionID: destinationConnectionID)
        // The secrets come from HKDF-Expand-Label with the suite's hash length, so they always fit it.
        return (
            client: PacketProtectionKeys(validatedSecret: secrets.client, suite: suite),
            server: PacketProtectionKeys(validatedSecret: secrets.server, suite: suite)
        )
    }
}
