public import ZTNAProtocol

/// The dNSName SANs that carry grants (DESIGN.md §7): `agent.<service>.ztna` and `connector.<service>.ztna`,
/// with `*` in place of the service meaning every service.
///
/// Parsing rules (each unit-tested):
/// - exactly three labels `<role>.<id>.ztna`, compared case-insensitively (DNS names are, RFC 4343);
/// - `<role>` is `agent` or `connector` (relays are never granted services);
/// - `<id>` is a valid `ServiceID` after lower-casing, or exactly `*`;
/// - anything else (`agent.a.b.ztna`, `agent..ztna`, `agent.-x.ztna`, a trailing dot, another suffix) is
///   not a grant name.
public enum GrantName {
    /// The last label of every grant name.
    public static let suffix = "ztna"

    /// The grant encoded by `dnsName`: the role and the service, nil for `*` (all services); nil when
    /// `dnsName` is not a grant name.
    public static func parse(_ dnsName: String) -> (role: Role, service: ServiceID?)? {
        let labels = dnsName.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count == 3 else { return nil }
        guard lowercased(labels[2]) == Array(suffix.utf8) else { return nil }
        let role: Role
        switch lowercased(labels[0]) {
        case Array("agent".utf8): role = .agent
        case Array("connector".utf8): role = .connector
        default: return nil
        }
        let id = lowercased(labels[1])
        if id == [UInt8(ascii: "*")] { return (role, nil) }
        guard let service = ServiceID(bytes: id) else { return nil }
        return (role, service)
    }

    /// The SAN that grants `role` for `service` (nil: all services). `role` must be agent or connector.
    public static func make(role: Role, service: ServiceID?) -> String {
        "\(role.rawValue).\(service?.description ?? "*").\(suffix)"
    }

    /// ASCII lower-casing: DNS case-insensitivity covers ASCII letters only (RFC 4343 §3).
    private static func lowercased(_ bytes: some Collection<UInt8>) -> [UInt8] {
        bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
    }
}

extension Grants {
    /// The grants of a certificate with these dNSName SANs and extended key usages.
    ///
    /// Our rule: agent and connector grants count only when the EKU includes `clientAuth` — both roles
    /// connect to the relay as TLS clients, so a certificate that cannot authenticate a client (for
    /// example a relay's `serverAuth`-only certificate with a stray grant SAN) is granted nothing. A
    /// certificate without grant SANs is granted nothing.
    public init(dnsNames: some Sequence<String>, purposes: KeyPurposes) {
        self.init()
        guard purposes.contains(.clientAuth) else { return }
        for name in dnsNames {
            guard let (role, service) = GrantName.parse(name) else { continue }
            switch role {
            case .agent: agent.add(service)
            case .connector: connector.add(service)
            case .relay: continue
            }
        }
    }
}

extension ServiceGrant {
    /// The services in SAN order: nil for all (`*`), sorted ids otherwise, empty for none.
    var sortedServices: [ServiceID?] {
        switch self {
        case .none: []
        case .all: [nil]
        case .services(let ids): ids.sorted()
        }
    }

    /// `*`, `none`, or the comma-separated ids.
    public var summary: String {
        switch self {
        case .none: "none"
        case .all: "* (all services)"
        case .services(let ids): ids.sorted().map(\.description).joined(separator: ", ")
        }
    }
}
