public import Foundation
import X509

/// The fixed choices of issuance (DESIGN.md §7): default validity per role, serials, back-dating, and
/// which `--name` values each role accepts.
public enum IssuancePolicy {
    /// relay and connector 1 year, agent 90 days (user devices rotate more often).
    public static func defaultValidity(for role: Role) -> Duration {
        switch role {
        case .relay, .connector: .days(365)
        case .agent: .days(90)
        }
    }

    /// Certificates start five minutes in the past so that a peer whose clock lags slightly behind the
    /// issuer's accepts them at once.
    public static let backdating: TimeInterval = 300

    static func notBefore(_ now: Date) -> Date { now - backdating }

    /// A random positive serial of 127 bits (RFC 5280 §4.1.2.2: positive, at most 20 octets; CA/B Forum:
    /// at least 64 bits of randomness). The top bit is cleared (positive) and the next set (fixed length).
    static func randomSerial() -> Certificate.SerialNumber {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        bytes[0] = (bytes[0] & 0x7f) | 0x40
        return Certificate.SerialNumber(bytes: bytes)
    }

    // MARK: - Names

    /// Relay names are what agents dial: a DNS host name (RFC 1123 labels) or an IP literal.
    public static func isValidRelayName(_ name: String) -> Bool {
        IPLiteral.parse(name) != nil || isValidHostName(name)
    }

    /// Connector and agent names become the subject CN and the file name: 1–64 bytes of letters, digits,
    /// `.`, `_`, `-`, `@`, not starting with `.` or `-`.
    public static func isValidNodeName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64, first != UInt8(ascii: "."), first != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
            || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "@") }
    }

    /// RFC 1123 §2.1 host name: dot-separated labels of 1–63 letters, digits and hyphens, not starting or
    /// ending with a hyphen; at most 253 bytes.
    static func isValidHostName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard let first = label.first, let last = label.last, label.count <= 63,
                  first != UInt8(ascii: "-"), last != UInt8(ascii: "-"),
                  label.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return false }
        }
        return true
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
