public import NIOCore

/// One live NAT mapping (RFC 4787 §4.1), as `SimulatedInternet.mappings(of:now:)` reports it for assertions.
public struct NATMapping: Sendable, Hashable, CustomStringConvertible {
    /// The internal endpoint, as the NAT's inside realm addresses it.
    public var internalAddress: SocketAddress
    /// The NAT's external address and the port chosen for this mapping (RFC 4787 §4.2.1).
    public var externalAddress: SocketAddress
    /// For a per-destination mapping, the destination that created it: the whole endpoint for
    /// address-and-port-dependent mapping; for address-dependent mapping only its IP is part of the key (every
    /// port of that IP shares the mapping). Nil for endpoint-independent mapping.
    public var remote: SocketAddress?
    /// Remote endpoints the internal endpoint has sent to through this mapping: what RFC 4787 §5 filtering
    /// admits (by IP for address-dependent filtering, by IP:port for address-and-port-dependent filtering).
    public var contacted: Set<SocketAddress>
    /// The mapping dies at this instant unless refreshed first (RFC 4787 §4.3).
    public var expiry: NIODeadline

    public init(internalAddress: SocketAddress, externalAddress: SocketAddress, remote: SocketAddress?,
                contacted: Set<SocketAddress>, expiry: NIODeadline) {
        self.internalAddress = internalAddress
        self.externalAddress = externalAddress
        self.remote = remote
        self.contacted = contacted
        self.expiry = expiry
    }

    public var description: String {
        "\(internalAddress) ↔ \(externalAddress)" + (remote.map { " for \($0)" } ?? "")
    }
}
