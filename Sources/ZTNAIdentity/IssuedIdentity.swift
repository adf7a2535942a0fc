import Crypto
public import Foundation
public import X509
import SwiftASN1

/// A freshly issued certificate and its private key (PEM), ready to be written as `NAME.crt` / `NAME.key`.
public struct IssuedIdentity: Sendable {
    /// The file stem: the first `--name`.
    public let name: String
    public let role: Role
    public let certificate: Certificate
    public let certificatePEM: String
    /// PKCS #8 PEM.
    public let privateKeyPEM: String

    /// Writes `directory/NAME.crt` (0644) and `directory/NAME.key` (0600); refuses existing files unless
    /// `force`. Returns the two paths.
    @discardableResult
    public func write(to directory: String, force: Bool) throws(IdentityError) -> (certificate: String, privateKey: String) {
        let certificatePath = (directory as NSString).appendingPathComponent("\(name).crt")
        let keyPath = (directory as NSString).appendingPathComponent("\(name).key")
        try CredentialFiles.write([
            .init(path: keyPath, contents: privateKeyPEM, mode: CredentialFiles.privateKeyMode),
            .init(path: certificatePath, contents: certificatePEM, mode: CredentialFiles.certificateMode),
        ], in: directory, force: force)
        return (certificatePath, keyPath)
    }
}

extension CertificateAuthority {
    // MARK: - Issuance

    /// Issues a P-256 certificate for `role` (DESIGN.md §7):
    /// - relay: a dNSName SAN per name (an IP literal name becomes an iPAddress SAN), EKU serverAuth;
    ///   `services` must be `.none`.
    /// - connector / agent: exactly one name, the subject CN; one dNSName SAN `connector.<id>.ztna` /
    ///   `agent.<id>.ztna` per granted service (`.all` → `*`); EKU clientAuth + serverAuth; `services`
    ///   must not be `.none`.
    /// All: CN = first name, basicConstraints not-CA and keyUsage digitalSignature (both critical), key
    /// identifiers, a random serial, valid from `now` − 5 min for `validity` (default per role).
    public func issue(
        role: Role, names: [String], services: ServiceGrant = .none, validity: Duration? = nil, now: Date = Date()
    ) throws(IdentityError) -> IssuedIdentity {
        let validity = validity ?? IssuancePolicy.defaultValidity(for: role)
        guard validity > .zero else { throw IdentityError(.invalidValidity, "validity must be positive") }
        let sans = try Self.subjectAlternativeNames(role: role, names: names, services: services)
        let purposes: [ExtendedKeyUsage.Usage] = role == .relay ? [.serverAuth] : [.clientAuth, .serverAuth]
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let subject = try DistinguishedName { CommonName(names[0]) }
            let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(purposes)
                SubjectAlternativeNames(sans)
                SubjectKeyIdentifier(hash: publicKey)
                if let authorityKeyID { AuthorityKeyIdentifier(keyIdentifier: authorityKeyID) }
            }
            let issued = try Certificate(
                version: .v3, serialNumber: IssuancePolicy.randomSerial(), publicKey: publicKey,
                notValidBefore: IssuancePolicy.notBefore(now), notValidAfter: now + validity.timeInterval,
                issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(privateKey)
            )
            return IssuedIdentity(
                name: names[0], role: role, certificate: issued,
                certificatePEM: try issued.serializeAsPEM().pemString + "\n", privateKeyPEM: key.pemRepresentation
            )
        } catch {
            throw IdentityError(.malformedCertificate, "cannot build the certificate: \(error)")
        }
    }

    /// Validates names and grants for `role` and returns the SANs, in a stable order.
    static func subjectAlternativeNames(
        role: Role, names: [String], services: ServiceGrant
    ) throws(IdentityError) -> [GeneralName] {
        guard !names.isEmpty else { throw IdentityError(.invalidName, "at least one --name is required") }
        switch role {
        case .relay:
            guard services == .none else {
                throw IdentityError(.invalidServices, "a relay certificate takes no --services (relays are granted no service)")
            }
            var sans: [GeneralName] = []
            for name in names {
                if let address = IPLiteral.parse(name) {
                    sans.append(.ipAddress(ASN1OctetString(contentBytes: address[...])))
                } else if IssuancePolicy.isValidRelayName(name) {
                    sans.append(.dnsName(name.lowercased()))
                } else {
                    throw IdentityError(.invalidName, "relay name \"\(name)\" is neither a DNS host name nor an IP address")
                }
            }
            return sans
        case .connector, .agent:
            guard names.count == 1 else {
                throw IdentityError(.invalidName, "\(role) certificates take exactly one --name (the node's name)")
            }
            guard IssuancePolicy.isValidNodeName(names[0]) else {
                throw IdentityError(.invalidName, "\(role) name \"\(names[0])\" must be 1–64 characters of letters, digits, '.', '_', '-', '@'")
            }
            guard services != .none else {
                throw IdentityError(.invalidServices, "\(role) certificates need --services (service ids, or '*' for all)")
            }
            return services.sortedServices.map { .dnsName(GrantName.make(role: role, service: $0)) }
        }
    }
}
