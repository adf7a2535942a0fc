public import ZTNAProtocol

/// One entry of `agent.json`'s `"services"`: a service and the virtual IP it is reached at.
public struct AgentService: Sendable, Hashable, Codable {
    public var id: ServiceID
    /// Any IPv4 or IPv6 literal (default pool `10.100.0.0/24`, IPv6 ULA allowed: DESIGN.md §5).
    public var virtualIP: IPAddressLiteral

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, virtualIP
    }

    public init(id: ServiceID, virtualIP: IPAddressLiteral) {
        self.id = id
        self.virtualIP = virtualIP
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeServiceID(forKey: .id)
        virtualIP = try container.decode(IPAddressLiteral.self, forKey: .virtualIP)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.description, forKey: .id)
        try container.encode(virtualIP, forKey: .virtualIP)
    }
}

extension AgentService {
    /// The default virtual-IP pool (DESIGN.md §5): 10.100.0.0/24; .254 is the agent's own tunnel address.
    public static let defaultPoolPrefix = "10.100.0."

    /// `services` plus an entry for every service a forward names that `services` lacks, each given the
    /// lowest free address of the default pool — so `--forward 127.0.0.1:8080=web:80` needs no `services`
    /// entry in port-forward mode.
    public static func completing(_ services: [AgentService], forwards: [ForwardConfig]) -> [AgentService] {
        var result = services
        var used = Set(services.map(\.virtualIP.description))
        var next = 1
        for forward in forwards where !result.contains(where: { $0.id == forward.service }) {
            while next < 254, used.contains(defaultPoolPrefix + String(next)) { next += 1 }
            guard next < 254, let address = IPAddressLiteral(defaultPoolPrefix + String(next)) else { break }
            used.insert(address.description)
            result.append(AgentService(id: forward.service, virtualIP: address))
        }
        return result
    }
}
