import Crypto
public import Foundation
public import X509
import SwiftASN1

/// Who a peer is and what it may do, read from the certificate chain it presented (leaf first).
///
/// Building a `PeerIdentity` only *parses*: chain verification and validity dates are enforced by TLS
/// (BoringSSL, in QUICTLS); `verify(chain:trustRoots:now:requiring:)` checks them again with
/// swift-certificates for defence in depth.
///
/// - `name`: the subject CN, else the first SAN (DNS name or IP address), else `""`.
/// - `serial`: canonical hex (lower case, no colons, no leading zeros), the form `RevocationList` matches.
/// - `fingerprint`: SHA-256 of the leaf's DER as upper-case, colon-separated hex — the same text as
///   `openssl x509 -noout -fingerprint -sha256`, so operators can compare them directly.
/// - `grants`: from `agent.<id>.ztna` / `connector.<id>.ztna` dNSName SANs, only with `clientAuth` EKU
///   (see `GrantName`, `Grants.init(dnsNames:purposes:)`).
/// - `roles`: agent / connector when granted anything in that role; relay when the EKU includes
///   `serverAuth` and the certificate names a host (a dNSName that is not a grant name, or an IP SAN).
public struct PeerIdentity: Sendable, Hashable {
    // MARK: - Properties

    /// The leaf certificate.
    public let certificate: Certificate
    /// Certificates sent after the leaf (intermediates), in order.
    public let intermediates: [Certificate]
    public let name: String
    public let commonName: String?
    /// dNSName SANs, as written in the certificate.
    public let dnsNames: [String]
    /// iPAddress SANs in text form.
    public let ipAddresses: [String]
    public let serial: String
    public let fingerprint: String
    public let notBefore: Date
    public let notAfter: Date
    public let purposes: KeyPurposes
    public let roles: Set<Role>
    public let grants: Grants

    // MARK: - Parsing

    /// Parses a chain as received in TLS (leaf first). Total: every malformed input is a typed error.
    public init(certificateChainDER: [[UInt8]]) throws(IdentityError) {
        guard let leafDER = certificateChainDER.first else {
            throw IdentityError(.emptyChain, "the peer presented no certificate")
        }
        let leaf = try Self.decode(leafDER)
        var intermediates: [Certificate] = []
        for der in certificateChainDER.dropFirst() { intermediates.append(try Self.decode(der)) }
        try self.init(leaf: leaf, leafDER: leafDER, intermediates: intermediates)
    }

    /// Parses a PEM file's contents: the first certificate is the leaf, any others are intermediates.
    public init(pem: String, source: String) throws(IdentityError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem).filter { $0.discriminator == "CERTIFICATE" }
        } catch {
            throw IdentityError(.malformedCertificate, "\(source): not a PEM certificate: \(error)")
        }
        guard !documents.isEmpty else {
            throw IdentityError(.malformedCertificate, "\(source): contains no PEM certificate")
        }
        do {
            try self.init(certificateChainDER: documents.map(\.derBytes))
        } catch {
            throw IdentityError(error.code, "\(source): \(error.message)")
        }
    }

    /// Reads a PEM certificate file.
    public static func load(path: String) throws(IdentityError) -> PeerIdentity {
        try PeerIdentity(pem: CredentialFiles.readText(path), source: path)
    }

    private init(leaf: Certificate, leafDER: [UInt8], intermediates: [Certificate]) throws(IdentityError) {
        self.certificate = leaf
        self.intermediates = intermediates
        let extensions: (sans: SubjectAlternativeNames?, eku: ExtendedKeyUsage?)
        do {
            extensions = (try leaf.extensions.subjectAlternativeNames, try leaf.extensions.extendedKeyUsage)
        } catch {
            throw IdentityError(.malformedCertificate, "certificate has a malformed extension: \(error)")
        }
        var dnsNames: [String] = []
        var ipAddresses: [String] = []
        for name in extensions.sans ?? SubjectAlternativeNames() {
            switch name {
            case .dnsName(let dns): dnsNames.append(dns)
            case .ipAddress(let octets):
                // An iPAddress SAN of another length than 4 or 16 is malformed; it names nothing.
                if let text = IPLiteral.format(octets.bytes) { ipAddresses.append(text) }
            default: continue   // URI, e-mail, directory names… grant and name nothing here.
            }
        }
        var purposes: KeyPurposes = []
        for usage in extensions.eku ?? ExtendedKeyUsage() {
            if usage == .clientAuth { purposes.insert(.clientAuth) }
            if usage == .serverAuth { purposes.insert(.serverAuth) }
        }
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.purposes = purposes
        self.commonName = Self.commonName(of: leaf.subject)
        self.name = commonName ?? dnsNames.first ?? ipAddresses.first ?? ""
        self.serial = Hex.canonicalSerial(Hex.encode(leaf.serialNumber.bytes)) ?? "0"
        self.fingerprint = Hex.encode(SHA256.hash(data: leafDER), uppercase: true, separator: ":")
        self.notBefore = leaf.notValidBefore
        self.notAfter = leaf.notValidAfter
        let grants = Grants(dnsNames: dnsNames, purposes: purposes)
        self.grants = grants
        var roles: Set<Role> = []
        if grants.agent != .none { roles.insert(.agent) }
        if grants.connector != .none { roles.insert(.connector) }
        let namesAHost = !ipAddresses.isEmpty || dnsNames.contains { GrantName.parse($0) == nil }
        if purposes.contains(.serverAuth) && namesAHost { roles.insert(.relay) }
        self.roles = roles
    }

    // MARK: - Helpers

    static func decode(_ der: [UInt8]) throws(IdentityError) -> Certificate {
        do {
            return try Certificate(derEncoded: der)
        } catch {
            throw IdentityError(.malformedCertificate, "malformed certificate: \(error)")
        }
    }

    /// The first CN attribute of `subject`, nil when there is none.
    static func commonName(of subject: DistinguishedName) -> String? {
        for rdn in subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value) ?? attribute.value.description
            }
        }
        return nil
    }

    public static func == (lhs: PeerIdentity, rhs: PeerIdentity) -> Bool {
        lhs.certificate == rhs.certificate && lhs.intermediates == rhs.intermediates
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(certificate)
        hasher.combine(intermediates)
    }
}
