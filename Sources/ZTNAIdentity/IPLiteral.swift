#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// IPv4/IPv6 literals ↔ the 4 or 16 bytes of an iPAddress SAN (RFC 5280 §4.2.1.6), via the C library's
/// strict `inet_pton`/`inet_ntop` (no shorthand like `10.1`, no zone ids).
enum IPLiteral {
    /// The address bytes of `text`, nil when it is not an IPv4 or IPv6 literal.
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, text, &v4) == 1 { return v4 }
        var v6 = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET6, text, &v6) == 1 { return v6 }
        return nil
    }

    /// The text form of 4 or 16 address bytes; nil for any other length (peer-supplied SANs may be odd).
    static func format(_ bytes: some Collection<UInt8>) -> String? {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        let address = Array(bytes)
        var buffer = [CChar](repeating: 0, count: 64)
        let ok = address.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
