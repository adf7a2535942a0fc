public import ZTNAIdentity
public import ZTNAProtocol

/// One live relay connection, for the admin status API (`/api/v1/status`, DESIGN.md §8).
public struct RelayConnectionStatus: Sendable, Hashable {
    public let id: RelayConnectionID
    /// The certificate's node name (subject CN).
    public let name: String
    /// The client's address as the relay sees it, when the shell reported one.
    public let address: ObservedAddress?
    /// The peer id, once the connection registered as an agent.
    public let peer: PeerID?
    /// Services consumed as an agent, sorted.
    public let agentServices: [ServiceID]
    /// Services provided as a connector, sorted.
    public let connectorServices: [ServiceID]
    /// For each agent service that has sent traffic: the connector currently serving it.
    public let assignments: [ServiceID: RelayConnectionID]

    /// The roles this connection holds (one connection may be both, per service).
    public var roles: Set<Role> {
        var roles: Set<Role> = []
        if !agentServices.isEmpty { roles.insert(.agent) }
        if !connectorServices.isEmpty { roles.insert(.connector) }
        return roles
    }
}
