// MARK: - ConnectionID

/// A QUIC connection ID: 0...20 bytes in QUIC v1 (RFC 9000 §17.2; RFC 8999 allows longer ones in
/// other versions, which we never accept).
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    /// The longest connection ID QUIC v1 permits (RFC 9000 §17.2).
    public static let maxLength = 20

    /// The zero-length connection ID.
    public static let empty = ConnectionID(unchecked: [])

    /// The ID's bytes (0...20 of them).
    public let bytes: [UInt8]

    /// A connection ID of `bytes`, or nil if longer than 20 bytes.
    @inlinable
    public init?(_ bytes: [UInt8]) {
        guard bytes.count <= ConnectionID.maxLength else { return nil }
        self.bytes = bytes
    }

    /// For parsers that already checked the length.
    @usableFromInline
    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The length in bytes.
    @inlinable public var count: Int { bytes.count }

    /// Whether this is the zero-length connection ID.
    @inlinable public var isEmpty: Bool { bytes.isEmpty }

    /// Lowercase hex, e.g. `8394c8f03e515708` (empty string for the zero-length ID).
    public var description: String {
        hexString(bytes)
    }
}

// MARK: - Hex

/// Lowercase hex of a byte run, without separators.
func hexString(_ bytes: [UInt8]) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var text = ""
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0f)])
    }
    return text
}
