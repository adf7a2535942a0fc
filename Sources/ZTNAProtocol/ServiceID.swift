/// A service id (DESIGN.md §3): 1–63 bytes of `[a-z0-9-]`, not starting or ending with `-` — a DNS label,
/// so that it can appear in SNI (`<id>.ztna`) and in certificate grants (`agent.<id>.ztna`).
///
/// Validated on construction: a `ServiceID` value is always well formed.
public struct ServiceID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The id's bytes (ASCII).
    public let bytes: [UInt8]

    public static let maximumLength = 63

    /// Validates `bytes`; nil when they are not a service id.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard Self.isValid(bytes) else { return nil }
        self.bytes = Array(bytes)
    }

    /// Validates `string` (case-sensitive: upper case is not a service id).
    public init?(_ string: String) {
        self.init(bytes: Array(string.utf8))
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    public static func < (lhs: ServiceID, rhs: ServiceID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// The rule of DESIGN.md §3.
    public static func isValid<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        guard let first = bytes.first, bytes.count <= maximumLength else { return false }
        var last = first
        for byte in bytes {
            let allowed = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-")
            guard allowed else { return false }
            last = byte
        }
        return first != UInt8(ascii: "-") && last != UInt8(ascii: "-")
    }
}
