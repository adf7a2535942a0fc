import IPPacket
import ZTNAConfig

/// What the connector does with one tunnel DATAGRAM (DESIGN.md §4): a pure decision, no I/O, so the whole
/// policy is testable on bytes.
///
/// - UDP to a port the service offers as `udp` → that port's backend, on the flow of its 5-tuple.
/// - ICMP/ICMPv6 echo request, to any address → an echo reply with the addresses swapped, when the service
///   answers ICMP ("the connector is reachable"); dropped otherwise.
/// - Anything else — malformed packets, fragments, other protocols, other ICMP, ports not offered — is
///   dropped with its reason.
struct ConnectorDatagramRouter: Sendable {
    /// What to do with a datagram.
    enum Action {
        /// Send `payload` to `backend` on the flow `key`.
        case udp(UDPFlowKey, payload: ArraySlice<UInt8>, backend: HostPort)
        /// Send this packet back through the tunnel.
        case reply([UInt8])
        /// Drop the datagram and count it.
        case drop(TunnelDropReason)
    }

    /// The backend of each port offered as UDP.
    let udpBackends: [UInt16: HostPort]
    /// Whether echo requests are answered.
    let answersICMP: Bool

    init(service: ConnectorService) {
        var backends: [UInt16: HostPort] = [:]
        for port in service.ports where port.protocol == .udp { backends[port.port] = port.backend }
        udpBackends = backends
        answersICMP = service.icmp
    }

    // MARK: - Routing

    func route(_ datagram: [UInt8]) -> Action {
        let packet: IPPacket
        do throws(IPPacketError) {
            packet = try IPPacket(parsing: datagram)
        } catch {
            return .drop(error == .fragment ? .fragment : .malformed)
        }
        switch packet.transport {
        case .udp(let header):
            guard let backend = udpBackends[header.destinationPort] else { return .drop(.portNotOffered) }
            let key = UDPFlowKey(addresses: packet.addresses, sourcePort: header.sourcePort,
                                 destinationPort: header.destinationPort)
            return .udp(key, payload: packet.payload, backend: backend)
        case .icmpv4(.echoRequest(let identifier, let sequence)):
            guard answersICMP, case .v4(let source, let destination) = packet.addresses else {
                return .drop(.icmpDisabled)
            }
            // RFC 792: the reply carries the request's identifier, sequence number and data.
            return .reply(IPPacketBuilder.icmpv4(source: destination, destination: source,
                                                 message: .echoReply(identifier: identifier, sequence: sequence),
                                                 payload: Array(packet.payload)))
        case .icmpv6(.echoRequest(let identifier, let sequence)):
            guard answersICMP, case .v6(let source, let destination) = packet.addresses else {
                return .drop(.icmpDisabled)
            }
            // RFC 4443 §4.2: same identifier, sequence number and data.
            return .reply(IPPacketBuilder.icmpv6(source: destination, destination: source,
                                                 message: .echoReply(identifier: identifier, sequence: sequence),
                                                 payload: Array(packet.payload)))
        case .icmpv4, .icmpv6:
            return .drop(.icmpNotEcho)
        case .tcp, .other:
            return .drop(.unsupportedProtocol)
        }
    }
}
