public import ZTNAProtocol

/// The roles a certificate can be granted (DESIGN.md §7).
public enum Role: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case relay
    case connector
    case agent

    public var description: String { rawValue }
}

/// Which services one role is granted: none, some, or all (`*`).
public enum ServiceGrant: Sendable, Hashable {
    case none
    case services(Set<ServiceID>)
    case all

    public func includes(_ service: ServiceID) -> Bool {
        switch self {
        case .none: false
        case .services(let granted): granted.contains(service)
        case .all: true
        }
    }

    /// Adds one grant (a service, or every service).
    mutating func add(_ service: ServiceID?) {
        switch (self, service) {
        case (.all, _): return
        case (_, nil): self = .all
        case (.none, let service?): self = .services([service])
        case (.services(var granted), let service?):
            granted.insert(service)
            self = .services(granted)
        }
    }
}

/// What a peer's certificate allows it to do (DESIGN.md §7): for each of `connector` and `agent`, the
/// services it may serve or consume. Built from the certificate's `connector.<service>.ztna` /
/// `agent.<service>.ztna` dNSName SANs; a certificate with no such SAN is granted nothing.
public struct Grants: Sendable, Hashable, CustomStringConvertible {
    public var connector: ServiceGrant
    public var agent: ServiceGrant

    public init(connector: ServiceGrant = .none, agent: ServiceGrant = .none) {
        self.connector = connector
        self.agent = agent
    }

    /// Nothing granted.
    public static let none = Grants()

    /// `connector: none; agent: echo, web`, as `ztna certs show` prints it.
    public var description: String { "connector: \(connector.summary); agent: \(agent.summary)" }

    /// Whether the holder may act as `role` for `service`. Relays are never granted a service.
    public func may(_ role: Role, _ service: ServiceID) -> Bool {
        switch role {
        case .connector: connector.includes(service)
        case .agent: agent.includes(service)
        case .relay: false
        }
    }
}
