import NATTraversal
import NIOCore
import QUICCore
import QUICNIO
import TunnelTraversal
import ZTNAProtocol

/// Where a connector's relayed tunnel packet goes: which relay link, which agent (the relay's peer id for
/// it), which service.
struct ConnectorRouteDestination: Hashable {
    let link: Int
    let peer: PeerID
    let service: ServiceID
}

/// The connector's event-loop glue between its relay links and its QUIC endpoint (DESIGN.md §3, §4):
/// `0x30 peer id payload` from a relay becomes a QUIC packet on the relayed path (link, peer, service), and
/// every packet the endpoint sends on such a path goes back as `0x30` on that link. Loop-confined.
final class ConnectorRouter {
    var links: [RelayLink] = []
    private let routes = RelayRouteTable<ConnectorRouteDestination>()
    private let endpoint: QUICNIOEndpoint
    /// Packets for a route whose link is gone or unregistered.
    private(set) var unroutable: UInt64 = 0
    /// Each open tunnel's NAT traversal, by connection.
    var pathDrivers: [ObjectIdentifier: TunnelPathDriver<ConnectorTraversalSession>] = [:]
    /// What each relay link observed for our socket (server-reflexive candidates, DESIGN.md §6).
    private var observed: [Int: SocketAddress] = [:]

    init(endpoint: QUICNIOEndpoint) {
        self.endpoint = endpoint
    }

    func linkEvent(_ index: Int, _ event: RelayLinkEvent) {
        switch event {
        case .session(.peerDatagram(let peer, let service, let payload)):
            let route = routes.route(for: ConnectorRouteDestination(link: index, peer: peer, service: service))
            endpoint.receiveRelayed(Array(payload), route: route)
        case .session(.observedAddress(let address)):
            observed[index] = address.socketAddress
            let candidates = self.candidates()
            for driver in pathDrivers.values { driver.setCandidates(candidates) }
        case .disconnected:
            // Peer ids belong to that relay connection; the agents behind it come back with new ones.
            routes.removeAll { $0.link == index }
        case .connected, .session:
            break
        }
    }

    /// The relay (`host:port` as configured) a relayed path goes through; nil for another path or a gone route.
    func relayName(of path: PathAddress?) -> String? {
        guard case .relayed(let route)? = path, let destination = routes.destination(of: route),
              destination.link < links.count else { return nil }
        return "\(links[destination.link].relay)"
    }

    /// The socket's candidates now: its host addresses and what the relays observed.
    func candidates() -> [Candidate] {
        LocalCandidates.gather(socket: endpoint.localAddress, observed: observed.sorted { $0.key < $1.key }.map(\.value),
                               devices: LocalCandidates.deviceAddresses())
    }

    func transmit(_ route: RelayRoute, _ bytes: [UInt8]) {
        guard let destination = routes.destination(of: route), destination.link < links.count,
              links[destination.link].sendPeerDatagramOnLoop(destination.peer, destination.service, payload: bytes[...])
        else {
            unroutable += 1
            return
        }
    }
}
