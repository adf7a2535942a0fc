import Crypto

// MARK: - StatelessResetTokenGenerator

/// Stateless reset tokens derived from a static key (RFC 9000 §10.3.2): HMAC-SHA256(key, cid) truncated to 16.
///
/// Deriving the token from the connection ID lets an endpoint that lost all state still produce the token it
/// once advertised, so it can send a Stateless Reset (RFC 9000 §10.3). The key must be secret and at least
/// 32 random bytes; endpoints sharing it (relays behind one address) produce the same tokens.
public struct StatelessResetTokenGenerator: Sendable {
    /// Length of a stateless reset token (RFC 9000 §10.3).
    public static let tokenLength = 16

    private let key: SymmetricKey

    /// Creates a generator from the static key.
    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// The 16-byte token for `connectionID`.
    public func token(for connectionID: [UInt8]) -> [UInt8] {
        let mac = HMAC<SHA256>.authenticationCode(for: connectionID, using: key)
        return mac.withUnsafeBytes { [UInt8]($0.prefix(Self.tokenLength)) }
    }
}
