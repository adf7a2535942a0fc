import QUICTLS
import ZTNAIdentity
import ZTNAProtocol

/// A connector's or agent's identity, loaded at start and again on every SIGHUP (DESIGN.md §7): the key file
/// checked (never readable by group or others), the certificate parsed, the CA bundle, the revocation list
/// (empty when none is configured), and the two TLS contexts it needs — one for its relay connections
/// (client, ALPN `ztna-v1`) and one for its tunnels (ALPN `ztna-tunnel-v1`; server on the connector, client
/// on the agent). Every file is read before anything is returned, so a reload that fails changes nothing.
struct NodeCredentials: Sendable {
    let trustRoots: TrustRoots
    let revocations: RevocationList
    let relayTLS: TLSContext
    let tunnelTLS: TLSContext

    static func load(certificate: String, privateKey: String, trustRoots path: String, revocationList: String? = nil,
                     tunnelRole: TLSConfiguration.Role) throws(StartupError) -> NodeCredentials {
        let trustRoots: TrustRoots
        let revocations: RevocationList
        do {
            try KeyFilePolicy.check(path: privateKey)
            _ = try PeerIdentity.load(path: certificate)
            trustRoots = try TrustRoots.load(path: path)
            revocations = try revocationList.map { path throws(IdentityError) in
                try RevocationList.load(path: path)
            } ?? RevocationList()
        } catch {
            throw StartupError(error.message)
        }
        do {
            let relayTLS = try RelayLink.tlsContext(certificate: certificate, privateKey: privateKey, trustRoots: path)
            var tunnel = TLSConfiguration(role: tunnelRole, alpn: [ZTNAALPN.tunnel])
            tunnel.certificateChainFile = certificate
            tunnel.privateKeyFile = privateKey
            tunnel.trustRootsFile = path
            switch tunnelRole {
            case .server:
                tunnel.clientAuthentication = .required
            case .client:
                // The SNI names the service (`web.ztna`); the connector's certificate names the grant
                // (`connector.web.ztna`), which `TunnelAuthorization` checks after the handshake.
                tunnel.verifyHostname = false
            }
            return NodeCredentials(trustRoots: trustRoots, revocations: revocations, relayTLS: relayTLS,
                                   tunnelTLS: try TLSContext(configuration: tunnel))
        } catch {
            throw StartupError("TLS setup from \(certificate), \(privateKey): \(error)")
        }
    }
}
