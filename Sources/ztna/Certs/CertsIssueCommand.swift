import ArgumentParser
import ZTNAIdentity
import ZTNAProtocol

/// `ztna certs issue relay|connector|agent`: writes `DIR/NAME.crt` and `DIR/NAME.key`, signed by the CA in DIR.
struct CertsIssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a certificate for a relay, connector or agent: DIR/NAME.crt and DIR/NAME.key.",
        discussion: """
            Signs with DIR/ca.crt and DIR/ca.key (see 'ztna certs init').
            NAME, which names the files, is the first --name.

            relay: each --name is a name agents and connectors dial (DNS name or
              IP address; repeatable). Extended key usage serverAuth. No --services.
            connector, agent: exactly one --name (the node's name) and --services
              (service ids, or '*' for all). Extended key usage clientAuth and
              serverAuth; one SAN per service: connector.<id>.ztna / agent.<id>.ztna.

            Default validity: relay and connector 365 days, agent 90 days.

            Examples:
              ztna certs issue relay --name relay.example.com \\
                  --name 203.0.113.7 --dir pki
              ztna certs issue connector --name office-1 --services web,echo --dir pki
              ztna certs issue agent --name alice --services '*' --dir pki
            """
    )

    enum IssuedRole: String, ExpressibleByArgument, CaseIterable {
        case relay, connector, agent

        var role: Role {
            switch self {
            case .relay: .relay
            case .connector: .connector
            case .agent: .agent
            }
        }
    }

    @Argument(help: "The role: relay, connector or agent.")
    var role: IssuedRole

    @Option(help: "Name (repeatable for relays). The first one names the files.")
    var name: [String] = []

    @Option(help: "Comma-separated service ids (a-z, 0-9, '-'), or '*' for all. Connector and agent only.")
    var services: String?

    @Option(help: "Directory holding ca.crt and ca.key; the new files are written here too.")
    var dir: String

    @Option(help: "Validity in days (default: relay/connector 365, agent 90).")
    var validityDays: Int?

    @Flag(help: "Overwrite existing NAME.crt / NAME.key.")
    var force = false

    func run() throws {
        let days = try validity(days: validityDays)
        let grant = try grants()
        let ca = try CertificateAuthority.load(directory: dir)
        let issued = try ca.issue(role: role.role, names: name, services: grant, validity: days)
        let paths = try issued.write(to: dir, force: force)
        print("wrote \(paths.certificate) and \(paths.privateKey)")
        print(CertificateSummary(try PeerIdentity(pem: issued.certificatePEM, source: paths.certificate)))
    }

    /// Checks the role's --name / --services rules and returns the grants.
    func grants() throws(CertsError) -> ServiceGrant {
        guard !name.isEmpty else { throw CertsError("at least one --name is required") }
        switch role {
        case .relay:
            if services != nil { throw CertsError("relay certificates take no --services (relays are granted no service)") }
            return .none
        case .connector, .agent:
            if name.count > 1 { throw CertsError("\(role.rawValue) certificates take exactly one --name (the node's name)") }
            guard let services else {
                throw CertsError("\(role.rawValue) certificates need --services (service ids, or '*' for all)")
            }
            return try Self.parseServices(services)
        }
    }

    /// `a,b` → those services; `*` → all. Rejects empty items, `*` mixed with ids, and invalid ids.
    static func parseServices(_ text: String) throws(CertsError) -> ServiceGrant {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: " ")
        }
        if items == ["*"] { return .all }
        var ids: Set<ServiceID> = []
        for item in items {
            if item == "*" { throw CertsError("--services: '*' grants every service and must stand alone") }
            guard let id = ServiceID(item) else {
                throw CertsError(
                    "--services: invalid service id \"\(item)\": use 1–63 characters a-z, 0-9 and '-', not starting or ending with '-'"
                )
            }
            ids.insert(id)
        }
        return .services(ids)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(drop { $0 == character }.reversed().drop { $0 == character }.reversed())
    }
}
