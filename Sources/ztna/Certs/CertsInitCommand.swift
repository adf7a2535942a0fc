import ArgumentParser
import ZTNAIdentity

/// `ztna certs init`: writes `DIR/ca.crt` and `DIR/ca.key`.
struct CertsInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the deployment's CA: DIR/ca.crt and DIR/ca.key.",
        discussion: """
            Creates DIR when missing. The CA key (DIR/ca.key, mode 0600) signs every
            certificate: keep it off relays, connectors and agents; they need only
            DIR/ca.crt.

            Example:
              ztna certs init --dir ./pki --name "example ztna CA"
            """
    )

    @Option(help: "Directory to write ca.crt and ca.key into.")
    var dir: String

    @Option(help: "Subject common name of the CA.")
    var name: String = "ztna CA"

    @Option(help: "Validity in days (default: 3650, ten years).")
    var validityDays: Int?

    @Flag(help: "Overwrite an existing ca.crt / ca.key (every certificate issued by the old CA stops working).")
    var force = false

    func run() throws {
        let days = try validity(days: validityDays)
        let ca = try CertificateAuthority.create(commonName: name, validity: days ?? CertificateAuthority.defaultValidity)
        let paths = try ca.write(to: dir, force: force)
        let identity = try PeerIdentity(pem: ca.certificatePEM, source: paths.certificate)
        print("wrote \(paths.certificate) and \(paths.privateKey)")
        print("CA SHA-256 fingerprint: \(identity.fingerprint)")
    }
}
