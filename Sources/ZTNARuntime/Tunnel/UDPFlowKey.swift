import IPPacket

/// A UDP flow's 5-tuple (the protocol is always UDP) as the agent sent it: source = the agent's tunnel
/// address and port, destination = the service's virtual IP and port. One tunnel is one agent, so the
/// 5-tuple alone identifies a flow on it (DESIGN.md §4).
struct UDPFlowKey: Hashable, Sendable, CustomStringConvertible {
    var addresses: IPAddressPair
    var sourcePort: UInt16
    var destinationPort: UInt16

    /// The IP/UDP packet carrying a backend's reply `payload` back: from (original destination ip:port) to
    /// (original source ip:port). nil when the payload cannot fit in one IP packet.
    func replyPacket(payload: [UInt8]) -> [UInt8]? {
        let headers: Int
        switch addresses {
        case .v4: headers = 20 + 8
        case .v6: headers = 8   // the IPv6 payload length excludes the fixed header (RFC 8200 §3)
        }
        guard payload.count + headers <= IPPacketBuilder.maximumPacketLength else { return nil }
        return IPPacketBuilder.udp(addresses.reversed, sourcePort: destinationPort, destinationPort: sourcePort,
                                   payload: payload)
    }

    var description: String {
        "\(addresses.source):\(sourcePort)→\(addresses.destination):\(destinationPort)"
    }
}
