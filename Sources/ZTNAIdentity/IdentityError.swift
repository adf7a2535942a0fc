/// Every failure of ZTNAIdentity: a `code` to switch on (extensible, in the style of swift-certificates'
/// `CertificateError`) and a one-line, human-readable `message` that names the file, line or key involved.
public struct IdentityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        // MARK: - Parsing
        /// A certificate's DER, PEM or one of its extensions could not be decoded.
        case malformedCertificate
        /// A private key could not be decoded, is not P-256, or does not match its certificate.
        case malformedKey
        /// A peer presented no certificate.
        case emptyChain

        // MARK: - Verification (see `PeerIdentity.verify`)
        /// The leaf's `notAfter` is in the past.
        case expired
        /// The leaf's `notBefore` is in the future.
        case notYetValid
        /// The chain does not lead to any of the trust roots (another CA, a bad signature, an expired CA).
        case otherCA
        /// The leaf's extended key usage lacks the purpose the peer is acting in.
        case wrongEKU

        // MARK: - Issuance
        /// A `--name` is neither a DNS name nor an IP literal (relay), or not a node name (connector/agent).
        case invalidName
        /// The service grants do not fit the role (relay with services, connector/agent without).
        case invalidServices
        /// A validity period that is not positive.
        case invalidValidity

        // MARK: - Files
        /// The file to write exists and `force` was not given.
        case fileExists
        /// The file to read does not exist.
        case fileNotFound
        /// Reading, writing or creating a directory failed.
        case fileIO
        /// A private key file is readable by group or others (DESIGN.md §7).
        case insecureKeyFile
        /// A line of a revocation list is not a certificate serial.
        case revocationListSyntax
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
