// The one JSON line that `ztna quic client` and `aioquic_peer.py client` both print (the shared contract that
// lets a test use either client).

import Foundation

/// `{"ok":..,"handshakeMs":..,"alpn":..,"cipher":..,"group":..,"datagramsSent":..,"datagramsEchoed":..,
/// "streamBytesSent":..,"streamBytesEchoed":..,"error":..}`
struct ClientReport: Decodable, Sendable {
    let ok: Bool
    let handshakeMs: Double?
    let alpn: String?
    /// The TLS cipher suite, as printed: "0x1303", a name such as "TLS_CHACHA20_POLY1305_SHA256", or a number.
    let cipher: String?
    /// The key-exchange group, as printed (a name or a number).
    let group: String?
    let datagramsSent: Int?
    let datagramsEchoed: Int?
    let streamBytesSent: Int?
    let streamBytesEchoed: Int?
    let error: String?
    /// Whether the client acted upon a Retry packet; only the aioquic peer reports it.
    let retried: Bool?
    /// 1-RTT key updates the client started.
    let keyUpdates: Int?

    /// The report in the last line of `stdout` that is a JSON object, if any.
    static func parse(stdout: String) -> ClientReport? {
        let lines = stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let line = lines.last(where: { $0.hasPrefix("{") }) else { return nil }
        return try? JSONDecoder().decode(ClientReport.self, from: Data(line.utf8))
    }

    // MARK: - Cipher suites (RFC 8446 §B.4)

    /// The negotiated suite was TLS_CHACHA20_POLY1305_SHA256 (0x1303).
    var isChaCha20: Bool {
        guard let cipher = cipher?.lowercased() else { return false }
        return cipher.contains("1303") || cipher.contains("chacha")
    }

    /// The negotiated suite is one of the three QUIC may use (RFC 9001 §5.3).
    var isQUICCipherSuite: Bool {
        guard let cipher = cipher?.lowercased() else { return false }
        return ["1301", "1302", "1303", "aes_128_gcm", "aes_256_gcm", "aes128", "aes256", "chacha"]
            .contains { cipher.contains($0) }
    }

    // MARK: - Decoding

    private enum CodingKeys: String, CodingKey {
        case ok, handshakeMs, alpn, cipher, group, datagramsSent, datagramsEchoed, streamBytesSent
        case streamBytesEchoed, error, retried, keyUpdates
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ok = try container.decode(Bool.self, forKey: .ok)
        handshakeMs = try container.decodeIfPresent(Double.self, forKey: .handshakeMs)
        alpn = try container.decodeIfPresent(String.self, forKey: .alpn)
        cipher = try Self.nameOrNumber(container, .cipher)
        group = try Self.nameOrNumber(container, .group)
        datagramsSent = try container.decodeIfPresent(Int.self, forKey: .datagramsSent)
        datagramsEchoed = try container.decodeIfPresent(Int.self, forKey: .datagramsEchoed)
        streamBytesSent = try container.decodeIfPresent(Int.self, forKey: .streamBytesSent)
        streamBytesEchoed = try container.decodeIfPresent(Int.self, forKey: .streamBytesEchoed)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        retried = try container.decodeIfPresent(Bool.self, forKey: .retried)
        keyUpdates = try container.decodeIfPresent(Int.self, forKey: .keyUpdates)
    }

    /// A TLS code point printed either as a string or as a number (shown as 0x%04x).
    private static func nameOrNumber(
        _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys
    ) throws -> String? {
        if let number = try? container.decodeIfPresent(Int.self, forKey: key) {
            return "0x" + String(repeating: "0", count: max(0, 4 - String(number, radix: 16).count))
                + String(number, radix: 16)
        }
        return try container.decodeIfPresent(String.self, forKey: key)
    }
}
