import ZTNAIdentity

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Retry-token key file shared by the relays of one deployment (DESIGN.md §8): a token issued by one
/// relay validates on another behind the same address. 32 bytes, stored raw or as 64 hex digits (one line);
/// create one with `head -c 32 /dev/urandom > retry.key && chmod 600 retry.key`. It is a secret: the file
/// must not be readable by group or others, like a private key.
public enum RetryTokenKey {
    public static let length = 32

    /// The key in `path`.
    public static func load(path: String) throws(StartupError) -> [UInt8] {
        do {
            try KeyFilePolicy.check(path: path)
        } catch {
            throw StartupError("retryTokenKey: \(error.message)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StartupError("retryTokenKey \(path): cannot read the file")
        }
        if let key = parse(Array(data)) { return key }
        throw StartupError(
            "retryTokenKey \(path): expected \(length) raw bytes or \(2 * length) hex digits, found \(data.count) bytes")
    }

    /// 32 raw bytes, or 64 hex digits with optional surrounding whitespace.
    static func parse(_ bytes: [UInt8]) -> [UInt8]? {
        if bytes.count == length { return bytes }
        let text = bytes.filter { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        guard text.count == 2 * length else { return nil }
        var key: [UInt8] = []
        key.reserveCapacity(length)
        var index = 0
        while index < text.count {
            guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else { return nil }
            key.append(high << 4 | low)
            index += 2
        }
        return key
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
