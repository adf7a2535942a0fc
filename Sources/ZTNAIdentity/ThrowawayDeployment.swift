public import Foundation

/// A complete deployment PKI in a fresh temporary directory: a CA, a relay certificate for the loopback
/// names, and any connector or agent certificates asked for — what `ztna demo`, the benchmarks and the
/// integration tests run on. The same files `ztna certs` writes (DESIGN.md §7), under the same names.
public struct ThrowawayDeployment: Sendable {
    /// The directory holding every file; `remove()` deletes it.
    public let directory: String
    public let authority: CertificateAuthority
    /// `ca.crt`, the trust roots of every role.
    public let caCertificate: String
    /// The relay's certificate and key (names `localhost` and `127.0.0.1`; file names from the first).
    public let relayCertificate: String
    public let relayPrivateKey: String

    /// Creates the directory, the CA and the relay certificate.
    public static func create(relayNames: [String] = ["localhost", "127.0.0.1"]) throws(IdentityError) -> ThrowawayDeployment {
        let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("ztna-pki-\(UUID().uuidString)")
        let authority = try CertificateAuthority.create(commonName: "ztna throwaway CA")
        let ca = try authority.write(to: directory, force: false)
        let relay = try authority.issue(role: .relay, names: relayNames).write(to: directory, force: false)
        return ThrowawayDeployment(directory: directory, authority: authority, caCertificate: ca.certificate,
                                   relayCertificate: relay.certificate, relayPrivateKey: relay.privateKey)
    }

    /// Issues and writes `NAME.crt` / `NAME.key` for a connector or agent granted `services`.
    @discardableResult
    public func issue(_ role: Role, name: String, services: ServiceGrant,
                      validity: Duration? = nil) throws(IdentityError) -> (certificate: String, privateKey: String) {
        try authority.issue(role: role, names: [name], services: services, validity: validity)
            .write(to: directory, force: true)
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
