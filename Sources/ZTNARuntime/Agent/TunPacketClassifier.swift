import IPPacket
import ZTNAProtocol

/// What the agent does with each packet its TUN gives it, and with each packet a tunnel gives back
/// (DESIGN.md §4): a pure decision on bytes, so the whole policy is tested without a device.
///
/// - TCP goes to the userspace TCP endpoint (it answers for every virtual IP).
/// - UDP and ICMP to a service's virtual IP ride that service's tunnel as whole IP packets.
/// - Anything else is dropped and counted: other destinations (nothing but the /32 routes should reach the
///   TUN, but a user may add routes), fragments (the tunnel never fragments, DESIGN.md §4), other protocols.
/// - A reply from a tunnel is written to the TUN only when it comes from that service's virtual IP and goes to
///   the agent's tunnel address: a connector speaks for its own service, never for another address.
struct TunPacketClassifier: Sendable {
    enum Outbound: Equatable {
        /// A TCP segment: hand it to `TCPEndpoint`.
        case tcp
        /// A UDP or ICMP packet for `service`'s tunnel.
        case datagram(ServiceID)
        /// Drop it, counted under `service` when one is known.
        case drop(TunnelDropReason, ServiceID?)
    }

    let tunnelAddress: IPAddress
    private let servicesByAddress: [IPAddress: ServiceID]
    private let addressesByService: [ServiceID: IPAddress]

    init(tunnelAddress: IPAddress, virtualIPs: [ServiceID: IPAddress]) {
        self.tunnelAddress = tunnelAddress
        addressesByService = virtualIPs
        var byAddress: [IPAddress: ServiceID] = [:]
        for (service, address) in virtualIPs { byAddress[address] = service }
        servicesByAddress = byAddress
    }

    /// The service whose virtual IP is `address`.
    func service(at address: IPAddress) -> ServiceID? { servicesByAddress[address] }

    /// The virtual IP of `service`.
    func virtualIP(of service: ServiceID) -> IPAddress? { addressesByService[service] }

    // MARK: - TUN → tunnel

    /// Classifies a packet read from the TUN. The kernel's checksums are not verified here: the connector
    /// verifies them before anything reaches a backend.
    func classify(_ bytes: [UInt8]) -> Outbound {
        if Self.isTCP(bytes) { return .tcp }
        let packet: IPPacket
        do throws(IPPacketError) {
            packet = try IPPacket(parsing: bytes, verifyChecksums: false)
        } catch {
            return .drop(error == .fragment ? .fragment : .malformed, nil)
        }
        guard let service = servicesByAddress[packet.addresses.destination] else {
            return .drop(.unknownDestination, nil)
        }
        switch packet.transport {
        case .udp, .icmpv4, .icmpv6: return .datagram(service)
        case .tcp: return .tcp
        case .other: return .drop(.unsupportedProtocol, service)
        }
    }

    /// TCP without a full parse: IPv4 protocol field (RFC 791) or an IPv6 next header (RFC 8200 §3) of 6.
    /// IPv6 TCP behind extension headers is found by `classify`'s full parse.
    static func isTCP(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first else { return false }
        switch first >> 4 {
        case 4: return bytes.count > 9 && bytes[9] == 6
        case 6: return bytes.count > 6 && bytes[6] == 6
        default: return false
        }
    }

    /// The ICMP error that tells the sending application a packet was larger than the tunnel carries:
    /// "fragmentation needed" (RFC 1191 §4) for IPv4 with DF set, "packet too big" (RFC 4443 §3.2) for
    /// IPv6, from the virtual IP (the hop that cannot forward it). Nil for IPv4 without DF (the application
    /// did not ask for path MTU discovery: the packet is dropped and counted as oversize).
    func tooBigAnswer(to bytes: [UInt8], tunnelCarries limit: Int) -> [UInt8]? {
        guard let packet = try? IPPacket(parsing: bytes, verifyChecksums: false),
              let service = servicesByAddress[packet.addresses.destination],
              let router = addressesByService[service] else { return nil }
        switch (packet.network, router) {
        case (.v4(let header), .v4(let from)):
            guard header.dontFragment else { return nil }
            return IPPacketBuilder.fragmentationNeeded(for: bytes, nextHopMTU: UInt16(clamping: limit), from: from)
        case (.v6, .v6(let from)):
            // RFC 8200 §5: a link MTU below 1280 is never announced.
            return IPPacketBuilder.packetTooBig(for: bytes, mtu: UInt32(max(limit, 1280)), from: from)
        default:
            return nil
        }
    }

    // MARK: - Tunnel → TUN

    enum Inbound: Equatable {
        /// Write it to the TUN; `payloadLength` transport payload bytes (for the byte counters).
        case accept(payloadLength: Int)
        case drop(TunnelDropReason)
    }

    /// Whether a packet from `service`'s tunnel may be written to the TUN: a valid IP packet from the service's
    /// virtual IP to the tunnel address.
    func acceptReply(_ bytes: [UInt8], from service: ServiceID) -> Inbound {
        let packet: IPPacket
        do throws(IPPacketError) {
            packet = try IPPacket(parsing: bytes)
        } catch {
            return .drop(error == .fragment ? .fragment : .malformed)
        }
        guard packet.addresses.source == addressesByService[service],
              packet.addresses.destination == tunnelAddress else { return .drop(.unexpectedSource) }
        return .accept(payloadLength: packet.payloadRange.count)
    }
}
