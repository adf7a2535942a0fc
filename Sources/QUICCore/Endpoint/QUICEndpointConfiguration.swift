public import NIOCore

/// Settings of a `QUICEndpoint` (one UDP socket's worth of QUIC).
public struct QUICEndpointConfiguration: Sendable {
    /// When set, the endpoint accepts incoming connections with this configuration (server role).
    public var server: QUICConfiguration?

    /// When the server answers a new client with Retry to validate its address first (RFC 9000 §8.1.2).
    public enum RetryPolicy: Sendable, Hashable {
        case never
        case always
        /// Retry once more than this many handshakes started in the current second (under load).
        case auto(handshakesPerSecond: Int)
    }
    public var retry: RetryPolicy = .never
    /// Unfinished handshakes one source IP may have before its new clients must answer a Retry (dropped when
    /// the policy is `.never`); clients that bring a valid Retry token are always admitted.
    public var maxHandshakesPerAddress: Int = 64
    /// 32-byte AEAD key for Retry tokens; several servers sharing it accept each other's tokens.
    /// nil: a random key per endpoint.
    public var retryTokenKey: [UInt8]?
    /// How long a Retry token stays valid.
    public var retryTokenLifetime: TimeAmount = .seconds(10)
    /// 32-byte key from which stateless reset tokens are derived (RFC 9000 §10.3.2). nil: random per endpoint.
    public var statelessResetKey: [UInt8]?
    /// Length of the connection IDs this endpoint issues (short headers carry no length, RFC 9000 §17.3).
    public var connectionIDLength: Int = 8
    /// New connections beyond this are refused (their Initials are dropped and counted).
    public var maxConnections: Int = 100_000

    public init(server: QUICConfiguration? = nil) {
        self.server = server
    }
}

/// Why the endpoint dropped a datagram without handing it to a connection.
public enum QUICEndpointDropReason: String, Sendable, CaseIterable {
    case unparseable, unknownConnection, tooSmallInitial, shortConnectionID, notAServer, invalidToken,
         connectionLimit, unsupportedVersion, tlsSetupFailed, handshakesPerAddress
}

/// Endpoint-level counters (stateless work and drops).
public struct QUICEndpointStatistics: Sendable {
    public var drops: [QUICEndpointDropReason: Int] = [:]
    public var versionNegotiationsSent = 0
    public var retriesSent = 0
    public var retryTokensValidated = 0
    public var retryTokensRejected = 0
    public var statelessResetsSent = 0
    public var connectionsAccepted = 0
    /// Handshakes started and not yet finished.
    public var handshakesInProgress = 0
    /// Accepted handshakes that never completed, by `QUICCloseReason.label` (e.g. `tls_alert_116`: the client
    /// sent no certificate; `tls_alert_48`: unknown CA; `timeout`).
    public var handshakeFailures: [String: Int] = [:]
    public init() {}

    mutating func drop(_ reason: QUICEndpointDropReason) { drops[reason, default: 0] += 1 }
}
