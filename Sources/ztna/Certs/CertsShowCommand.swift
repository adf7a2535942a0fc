import ArgumentParser
import ZTNAIdentity

/// `ztna certs show FILE`: what a certificate says and grants.
struct CertsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a certificate's subject, SANs, grants per role, key usage, validity, serial and SHA-256 fingerprint.",
        discussion: """
            The serial is printed in the form a revocation list accepts; the
            fingerprint matches 'openssl x509 -noout -fingerprint -sha256'.

            Example:
              ztna certs show ./pki/alice.crt
            """
    )

    @Argument(help: "A PEM certificate file.")
    var file: String

    func run() throws {
        print(CertificateSummary(try PeerIdentity.load(path: file)))
    }
}
