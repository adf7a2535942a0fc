import Crypto
public import Foundation
public import X509
import SwiftASN1

/// A deployment's private CA (DESIGN.md §7): a P-256 key and a self-signed certificate, stored as
/// `ca.crt` / `ca.key`, that issues the certificates of every relay, connector and agent.
public struct CertificateAuthority: Sendable {
    // MARK: - Properties

    public let certificate: Certificate
    let privateKey: P256.Signing.PrivateKey

    public static let certificateFileName = "ca.crt"
    public static let privateKeyFileName = "ca.key"
    /// Ten years: a CA outlives the certificates it issues.
    public static let defaultValidity: Duration = .days(3650)

    // MARK: - Creating and loading

    /// A new CA: basicConstraints CA (critical), keyUsage keyCertSign + cRLSign (critical), a subject key
    /// identifier, valid from five minutes before `now` (clock skew between hosts) for `validity`.
    public static func create(
        commonName: String = "ztna CA", validity: Duration = defaultValidity, now: Date = Date()
    ) throws(IdentityError) -> CertificateAuthority {
        guard validity > .zero else { throw IdentityError(.invalidValidity, "validity must be positive") }
        guard !commonName.isEmpty, commonName.utf8.count <= 64 else {
            throw IdentityError(.invalidName, "CA name must be 1–64 bytes long")   // RFC 5280 ub-common-name
        }
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let name = try DistinguishedName { CommonName(commonName) }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: IssuancePolicy.randomSerial(), publicKey: publicKey,
                notValidBefore: IssuancePolicy.notBefore(now), notValidAfter: now + validity.timeInterval,
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key)
            )
            return CertificateAuthority(certificate: certificate, privateKey: key)
        } catch {
            throw IdentityError(.malformedCertificate, "cannot build the CA certificate: \(error)")
        }
    }

    /// A CA from its PEM texts. The key must be P-256 and match the certificate, which must be a CA.
    public init(certificatePEM: String, privateKeyPEM: String, source: String = "CA") throws(IdentityError) {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw IdentityError(.malformedCertificate, "\(source) certificate: not a PEM certificate: \(error)")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw IdentityError(.malformedKey, "\(source) key: not a PEM P-256 private key: \(error)")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw IdentityError(.malformedKey, "\(source) key does not match the CA certificate")
        }
        guard case .isCertificateAuthority? = try? certificate.extensions.basicConstraints else {
            throw IdentityError(.malformedCertificate, "\(source) certificate is not a CA (basicConstraints)")
        }
        self.init(certificate: certificate, privateKey: key)
    }

    /// Loads `directory/ca.crt` and `directory/ca.key`, refusing a key readable by group or others.
    public static func load(directory: String) throws(IdentityError) -> CertificateAuthority {
        let certificatePath = (directory as NSString).appendingPathComponent(certificateFileName)
        let keyPath = (directory as NSString).appendingPathComponent(privateKeyFileName)
        try KeyFilePolicy.check(path: keyPath)
        return try CertificateAuthority(
            certificatePEM: CredentialFiles.readText(certificatePath),
            privateKeyPEM: CredentialFiles.readText(keyPath),
            source: certificatePath
        )
    }

    init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    // MARK: - PEM and files

    public var certificatePEM: String {
        // Serialising a certificate we parsed or built cannot fail; the fallback keeps the API non-throwing.
        (try? certificate.serializeAsPEM().pemString) ?? ""
    }

    /// PKCS #8 PEM (`-----BEGIN PRIVATE KEY-----`), as BoringSSL and openssl read it.
    public var privateKeyPEM: String { privateKey.pemRepresentation }

    /// Writes `directory/ca.crt` (0644) and `directory/ca.key` (0600); refuses existing files unless
    /// `force`. Returns the two paths.
    @discardableResult
    public func write(to directory: String, force: Bool) throws(IdentityError) -> (certificate: String, privateKey: String) {
        let certificatePath = (directory as NSString).appendingPathComponent(Self.certificateFileName)
        let keyPath = (directory as NSString).appendingPathComponent(Self.privateKeyFileName)
        try CredentialFiles.write([
            .init(path: keyPath, contents: privateKeyPEM, mode: CredentialFiles.privateKeyMode),
            .init(path: certificatePath, contents: certificatePEM + "\n", mode: CredentialFiles.certificateMode),
        ], in: directory, force: force)
        return (certificatePath, keyPath)
    }
}

extension Duration {
    /// `n` days of 86 400 s.
    static func days(_ n: Int) -> Duration { .seconds(Int64(n) * 86_400) }

    /// Seconds as a `TimeInterval`, for `Date` arithmetic.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
