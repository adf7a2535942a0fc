import ArgumentParser
import ZTNAIdentity


/// `ztna certs`: the deployment's private CA and the certificates of every role (DESIGN.md §7).
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create a private CA and issue certificates for relays, connectors and agents.",
        discussion: """
            Every key is P-256; files are PEM. Keys are written with mode 0600,
            certificates 0644; existing files are never replaced without --force.

            A typical deployment:
              ztna certs init --dir /etc/ztna
              ztna certs issue relay --name relay.example.com --dir /etc/ztna
              ztna certs issue connector --name office-1 --services web,echo \\
                  --dir /etc/ztna
              ztna certs issue agent --name alice --services '*' --dir /etc/ztna
              ztna certs show /etc/ztna/alice.crt
            """,
        subcommands: [CertsInitCommand.self, CertsIssueCommand.self, CertsShowCommand.self]
    )
}

// MARK: - Shared helpers

/// A failed `ztna certs` operation. ArgumentParser prints it as one line, `Error: <message>`, and exits 1
/// (`IdentityError`s are printed the same way). Malformed command lines still get ArgumentParser's usage.
struct CertsError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}

/// `--validity-days N` as a duration; nil when not given.
func validity(days: Int?) throws(CertsError) -> Duration? {
    guard let days else { return nil }
    guard (1...36_500).contains(days) else { throw CertsError("--validity-days must be between 1 and 36500") }
    return .seconds(Int64(days) * 86_400)
}
