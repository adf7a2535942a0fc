import QUICTLS
import ZTNAIdentity
import ZTNAProtocol

/// The relay's TLS identity and trust, loaded together at start and on every SIGHUP (DESIGN.md §7).
struct RelayCredentials: Sendable {
    /// Server context: the relay's chain and key, ALPN `ztna-v1`, client certificates required and verified
    /// by BoringSSL against the CA bundle (RFC 8446 §4.4.2); ZTNAIdentity checks dates, EKU and grants again.
    let tls: TLSContext
    let trustRoots: TrustRoots
    let revocations: RevocationList
    /// The relay's own certificate, for logs and the status page.
    let identity: PeerIdentity

    /// Loads every file named in `settings`; the first problem found is thrown with the file's name.
    static func load(_ settings: RelaySettings) throws(StartupError) -> RelayCredentials {
        do {
            try KeyFilePolicy.check(path: settings.privateKey)
            let identity = try PeerIdentity.load(path: settings.certificate)
            let trustRoots = try TrustRoots.load(path: settings.trustRoots)
            let revocations = try settings.revocationList.map { path throws(IdentityError) in
                try RevocationList.load(path: path)
            } ?? RevocationList()
            var configuration = TLSConfiguration(role: .server, alpn: [ZTNAALPN.relay])
            configuration.certificateChainFile = settings.certificate
            configuration.privateKeyFile = settings.privateKey
            configuration.trustRootsFile = settings.trustRoots
            configuration.clientAuthentication = .required
            let tls: TLSContext
            do {
                tls = try TLSContext(configuration: configuration)
            } catch {
                throw StartupError(
                    "TLS setup from \(settings.certificate), \(settings.privateKey), \(settings.trustRoots): \(error)")
            }
            return RelayCredentials(tls: tls, trustRoots: trustRoots, revocations: revocations, identity: identity)
        } catch let error as IdentityError {
            throw StartupError(error.message)
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError("\(error)")
        }
    }
}
