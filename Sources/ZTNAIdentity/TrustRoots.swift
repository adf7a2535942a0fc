public import X509
import SwiftASN1

/// The CA certificates a deployment trusts (normally one: `ca.crt`; a bundle during CA rotation).
public struct TrustRoots: Sendable, Hashable {
    public let certificates: [Certificate]

    public init(certificates: [Certificate]) {
        self.certificates = certificates
    }

    /// Parses a PEM bundle; `source` names it in errors. At least one certificate is required.
    public init(pemBundle: String, source: String) throws(IdentityError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pemBundle)
        } catch {
            throw IdentityError(.malformedCertificate, "\(source): not a PEM certificate bundle: \(error)")
        }
        var certificates: [Certificate] = []
        for document in documents where document.discriminator == "CERTIFICATE" {
            do {
                certificates.append(try Certificate(pemDocument: document))
            } catch {
                throw IdentityError(.malformedCertificate, "\(source): malformed certificate: \(error)")
            }
        }
        guard !certificates.isEmpty else {
            throw IdentityError(.malformedCertificate, "\(source): contains no PEM certificate")
        }
        self.certificates = certificates
    }

    /// Reads a PEM bundle file.
    public static func load(path: String) throws(IdentityError) -> TrustRoots {
        try TrustRoots(pemBundle: CredentialFiles.readText(path), source: path)
    }
}
