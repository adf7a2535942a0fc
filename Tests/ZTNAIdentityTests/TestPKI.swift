import Crypto
import Foundation
import SwiftASN1
@testable import X509
@testable import ZTNAIdentity

/// Hand-built certificates for the odd cases the tool never issues: no SANs, wrong EKU, URI SANs, …
enum TestPKI {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A leaf signed by `ca` with exactly the given parts.
    static func leaf(
        signedBy ca: CertificateAuthority,
        commonName: String? = "node",
        sans: [GeneralName] = [],
        purposes: [ExtendedKeyUsage.Usage]? = [.clientAuth, .serverAuth],
        notBefore: Date = now - 3600,
        notAfter: Date = now + 86_400
    ) throws -> Certificate {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            if let commonName { CommonName(commonName) }
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            if let purposes { try ExtendedKeyUsage(purposes) }
            if !sans.isEmpty { SubjectAlternativeNames(sans) }
        }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]),
            publicKey: .init(key.publicKey), notValidBefore: notBefore, notValidAfter: notAfter,
            issuer: ca.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: .init(ca.privateKey)
        )
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func peer(_ certificate: Certificate) throws -> PeerIdentity {
        try PeerIdentity(certificateChainDER: [der(certificate)])
    }

    /// A CA made at `now`.
    static func ca(_ name: String = "test CA") throws -> CertificateAuthority {
        try CertificateAuthority.create(commonName: name, now: now - 86_400)
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ztna-identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}
