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
