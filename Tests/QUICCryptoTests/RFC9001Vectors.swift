import Foundation
import Testing

// MARK: - RFC9001Vectors

/// RFC 9001 Appendix A values from Resources/rfc9001.json (each recomputed with an independent
/// implementation before being written), decoded once.
struct RFC9001Vectors: Decodable {
    struct Initial: Decodable {
        let clientDcid: String
        let initialSalt: String
        let initialSecret: String
        let clientInitialSecret: String
        let clientKey: String
        let clientIv: String
        let clientHp: String
        let serverInitialSecret: String
        let serverKey: String
        let serverIv: String
        let serverHp: String
    }

    struct Packet: Decodable {
        let packetNumber: UInt64
        let plainHeader: String
        let plainPayload: String
        let protectedPacket: String
    }

    struct Retry: Decodable {
        let originalDcid: String
        let packet: String
        let integrityKey: String
        let integrityNonce: String
    }

    struct ShortHeader: Decodable {
        let secret: String
        let key: String
        let iv: String
        let hp: String
        /// RFC 9001 A.5 publishes the "quic ku" secret; the JSON may or may not carry it.
        let ku: String?
        let packetNumber: UInt64
        let plainHeader: String
        let plainPayload: String
        let protectedPacket: String
    }

    let initial: Initial
    let clientInitial: Packet
    let serverInitial: Packet
    let retry: Retry
    let chacha20ShortHeader: ShortHeader

    static func load() throws -> RFC9001Vectors {
        let url = try #require(Bundle.module.url(forResource: "rfc9001", withExtension: "json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(RFC9001Vectors.self, from: Data(contentsOf: url))
    }
}

// MARK: - Hex

struct InvalidHex: Error {
    let text: String
}

extension Array where Element == UInt8 {
    /// Decodes a hex string (no separators); throws on odd length or a non-hex digit.
    init(hex: String) throws {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { throw InvalidHex(text: hex) }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw InvalidHex(text: hex)
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            bytes.append(try nibble(digits[index]) << 4 | nibble(digits[index + 1]))
            index += 2
        }
        self = bytes
    }

    var hex: String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        return String(flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
    }
}
