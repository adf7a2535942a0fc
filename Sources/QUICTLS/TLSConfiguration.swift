/// Everything a ``TLSContext`` needs: role, identity, trust, ALPN and optional restrictions.
///
/// Files are PEM and are read once, when the context is created.
public struct TLSConfiguration: Sendable {
    /// Which side of the handshake this context serves.
    public enum Role: Sendable {
        case client, server
    }

    /// Whether a server asks for, and insists on, a client certificate (mutual TLS).
    public enum ClientAuthentication: Sendable {
        /// No certificate is requested.
        case none
        /// A certificate is requested; when one is sent it must chain to ``TLSConfiguration/trustRootsFile``.
        case optional
        /// A certificate chaining to ``TLSConfiguration/trustRootsFile`` is required.
        case required
    }

    /// Client or server.
    public var role: Role
    /// PEM certificate chain, leaf first (server: required; client: for mutual TLS).
    public var certificateChainFile: String?
    /// PEM private key matching the leaf of ``certificateChainFile``.
    public var privateKeyFile: String?
    /// PEM CA bundle used to verify the peer. `nil` means the system default for clients; a server that
    /// authenticates clients must name one.
    public var trustRootsFile: String?
    /// Server side only: whether a client certificate is requested or required.
    public var clientAuthentication: ClientAuthentication = .none
    /// Client side: verify the server's chain (and, with ``verifyHostname``, its name).
    public var verifyPeer: Bool = true
    /// Client side: check the server certificate against the session's `serverName` (DNS name or IP).
    public var verifyHostname: Bool = true
    /// ALPN protocols offered (client) or accepted (server), most preferred first. Must not be empty:
    /// QUIC requires ALPN (RFC 9001 §8.1).
    public var alpn: [String]
    /// TLS 1.3 cipher suites to allow, by IANA id (0x1301, 0x1302, 0x1303); `nil` keeps BoringSSL's order.
    public var cipherSuites: [UInt16]? = nil
    /// Key exchange groups to offer or accept, by BoringSSL name ("X25519MLKEM768", "X25519", "P-256"), in
    /// preference order; `nil` uses DESIGN.md §2's order, post-quantum hybrid first. Unknown names are skipped.
    public var keyExchangeGroups: [String]? = nil
    /// A file to append TLS secrets to, in SSLKEYLOGFILE format, for debugging with Wireshark.
    /// Only used when set explicitly; the environment is never consulted.
    public var keyLogFile: String? = nil

    /// A configuration for `role` with the given ALPN protocols and every other setting at its default.
    public init(role: Role, alpn: [String]) {
        self.role = role
        self.alpn = alpn
    }
}
