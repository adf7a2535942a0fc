/// Hexadecimal renderings of serials and fingerprints.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex, two digits per byte, optionally upper-case and colon-separated.
    static func encode(_ bytes: some Sequence<UInt8>, uppercase: Bool = false, separator: String = "") -> String {
        var parts: [String] = []
        for byte in bytes {
            let pair = [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]]
            let text = String(decoding: pair, as: UTF8.self)
            parts.append(uppercase ? text.uppercased() : text)
        }
        return parts.joined(separator: separator)
    }

    /// The canonical serial form used everywhere in ztna: lower-case hex of the integer's magnitude, no
    /// colons, no leading zeros ("0" for zero). `openssl x509 -serial` output (upper case, a leading `00`
    /// byte) and colon-separated forms canonicalise to the same string. Nil when `text` is not hex.
    static func canonicalSerial(_ text: some StringProtocol) -> String? {
        var digitsOnly: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: ":") {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"):
                digitsOnly.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                digitsOnly.append(byte | 0x20)
            default:
                return nil
            }
        }
        guard !digitsOnly.isEmpty else { return nil }
        let significant = digitsOnly.drop { $0 == UInt8(ascii: "0") }
        return significant.isEmpty ? "0" : String(decoding: significant, as: UTF8.self)
    }
}
