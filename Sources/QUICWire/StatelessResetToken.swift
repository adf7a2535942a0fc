// MARK: - StatelessResetToken

/// A 16-byte stateless reset token (RFC 9000 §10.3), sent in NEW_CONNECTION_ID frames and the
/// `stateless_reset_token` transport parameter.
public struct StatelessResetToken: Hashable, Sendable, CustomStringConvertible {
    /// The token length fixed by RFC 9000 §10.3.
    public static let length = 16

    /// Exactly 16 bytes.
    public let bytes: [UInt8]

    /// A token of `bytes`, or nil unless there are exactly 16 of them.
    @inlinable
    public init?(_ bytes: [UInt8]) {
        guard bytes.count == StatelessResetToken.length else { return nil }
        self.bytes = bytes
    }

    /// For parsers that already checked the length.
    @usableFromInline
    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Lowercase hex.
    public var description: String {
        hexString(bytes)
    }
}
