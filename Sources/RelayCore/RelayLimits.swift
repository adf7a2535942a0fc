/// The relay's configurable limits (DESIGN.md §3 "Limits"). Every one bounds memory that a client could
/// otherwise grow: registration floods stop at these numbers and are answered with REGISTER_NACK `03`.
public struct RelayLimits: Sendable, Hashable {
    /// Live connections; `connectionEstablished` refuses more.
    public var maxConnections: Int
    /// Registrations (agent and connector together) one connection may hold.
    public var registrationsPerConnection: Int
    /// Services one connection may consume as an agent.
    public var servicesPerAgent: Int
    /// Largest DATAGRAM payload accepted from a client; larger ones are dropped as `oversize`.
    public var maxDatagramSize: Int
    /// Queue depth: a datagram to forward is dropped (`queue_full`), never blocks, while this many messages
    /// wait for `pollTransmit()`. Control messages (ACK, NACK, status, address) are always queued: each
    /// input produces a bounded number of them (at most one per registration it affects).
    public var maxQueuedDatagrams: Int

    public init(
        maxConnections: Int = 100_000,
        registrationsPerConnection: Int = 64,
        servicesPerAgent: Int = 64,
        maxDatagramSize: Int = 65_527,
        maxQueuedDatagrams: Int = 4_096
    ) {
        self.maxConnections = maxConnections
        self.registrationsPerConnection = registrationsPerConnection
        self.servicesPerAgent = servicesPerAgent
        self.maxDatagramSize = maxDatagramSize
        self.maxQueuedDatagrams = maxQueuedDatagrams
    }
}
