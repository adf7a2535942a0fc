public import QUICNIO
public import ZTNAProtocol

/// How a `PortForwarder` gets the tunnel connection of a service (DESIGN.md §4: one connection per
/// (agent, service), shared by every flow to that service and opened on demand). The agent's control plane
/// implements it: it establishes the tunnel (relayed first, direct later) and returns the same connection for
/// as long as it is up.
public protocol TunnelOpener: Sendable {
    /// The established tunnel connection for `service`, opening one when there is none.
    func tunnel(for service: ServiceID) async throws -> QUICNIOConnection
}
