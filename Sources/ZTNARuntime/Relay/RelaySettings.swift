public import RelayCore
public import ZTNAConfig

/// Everything the relay needs to start, after `relay.json` and the command-line flags are merged
/// (DESIGN.md §5). Paths are checked when the relay loads them (`RelayCredentials.load`), so a missing or
/// unsafe file stops the start with an error that names it.
public struct RelaySettings: Sendable {
    /// UDP address for QUIC (DESIGN.md §5 default `0.0.0.0:4433`: the relay is the public component).
    public var listen: HostPort
    /// PEM certificate chain, private key and CA bundle.
    public var certificate: String
    public var privateKey: String
    public var trustRoots: String
    /// Admin HTTP address (`/metrics`, `/healthz`, `/readyz`, `/api/v1/status`, `/`); nil: no admin server.
    public var admin: HostPort?
    /// `auto`: Retry once handshakes arrive faster than `retryAboveHandshakesPerSecond` (or more than
    /// `maxHandshakesPerAddress` from one address); `always`; `never` (handshakes over the per-address limit
    /// are then dropped).
    public var retry: RetryMode
    public var retryAboveHandshakesPerSecond: Int = 1_000
    public var maxHandshakesPerAddress: Int = 64
    /// File with the 32-byte Retry-token key (see `RetryTokenKey`); nil: a random key per process.
    public var retryTokenKey: String?
    /// Revoked certificate serials, reloaded on SIGHUP.
    public var revocationList: String?
    /// Registry and queue limits (DESIGN.md §3).
    public var limits: RelayLimits = RelayLimits()
    /// DATAGRAMs queued per connection before the oldest is dropped (and counted): a slow client never makes
    /// the relay buffer without bound.
    public var datagramQueueDepth: Int = 1_024
    /// UDP socket buffer sizes requested from the kernel.
    public var socketBufferSize: Int = 8 << 20

    public init(listen: HostPort, certificate: String, privateKey: String, trustRoots: String,
                admin: HostPort? = RelayConfig.defaultAdmin, retry: RetryMode = .auto,
                retryTokenKey: String? = nil, revocationList: String? = nil) {
        self.listen = listen
        self.certificate = certificate
        self.privateKey = privateKey
        self.trustRoots = trustRoots
        self.admin = admin
        self.retry = retry
        self.retryTokenKey = retryTokenKey
        self.revocationList = revocationList
    }

    /// Settings from a decoded `relay.json` (flags already applied to it); `file` names it in errors.
    public init(config: RelayConfig, file: String) throws(StartupError) {
        let identity = config.identity
        guard let certificate = identity.certificate, let privateKey = identity.privateKey,
              let trustRoots = identity.trustRoots else {
            let missing = identity.missingKeys.joined(separator: ", ")
            throw StartupError("\(file): missing \(missing) (set it in the file or with --cert/--key/--ca)")
        }
        self.init(listen: config.listen, certificate: certificate, privateKey: privateKey, trustRoots: trustRoots,
                  admin: config.admin, retry: config.retry, retryTokenKey: config.retryTokenKey,
                  revocationList: config.revocationList)
    }
}
