import NATTraversal
import NIOCore
import QUICCore
import QUICNIO
import TunnelTraversal
import ZTNAProtocol

/// Where an agent's relayed tunnel packet goes: which relay link, which service.
struct AgentRouteDestination: Hashable {
    let link: Int
    let service: ServiceID
}

/// The agent's event-loop glue between its relay links and its QUIC endpoint: `0x2F id payload` from the
/// relay becomes a QUIC packet on the relayed path (link, service), and packets the endpoint sends on that
/// path go out as `0x2F` on that link. Loop-confined.
final class AgentRouter {
    var links: [RelayLink] = []
    private let routes = RelayRouteTable<AgentRouteDestination>()
    private let endpoint: QUICNIOEndpoint
    private(set) var unroutable: UInt64 = 0
    /// The link in use (the agent uses one relay at a time, DESIGN.md §8).
    var activeLink = 0
    /// Called when the active relay says no connector serves `service` any more: its tunnel's connector is
    /// gone (restarted, or left), so the tunnel can carry nothing and is better closed now than after its idle
    /// timeout; a new one opens when a connector is back.
    var onServiceLost: ((ServiceID) -> Void)?
    /// Each tunnel's NAT traversal, by connection.
    var pathDrivers: [ObjectIdentifier: TunnelPathDriver<AgentTraversalSession>] = [:]
    /// What each relay link observed for our socket (server-reflexive candidates, DESIGN.md §6).
    private var observed: [Int: SocketAddress] = [:]
    /// Interface addresses that are never candidates: the TUN interface's own address.
    var excludedHosts: Set<String> = []

    init(endpoint: QUICNIOEndpoint) {
        self.endpoint = endpoint
    }

    func route(for service: ServiceID, link: Int) -> RelayRoute {
        routes.route(for: AgentRouteDestination(link: link, service: service))
    }

    func linkEvent(_ index: Int, _ event: RelayLinkEvent) {
        switch event {
        case .session(.serviceDatagram(let service, let payload)):
            endpoint.receiveRelayed(Array(payload), route: route(for: service, link: index))
        case .session(.availabilityChanged(let service, available: false)) where index == activeLink:
            onServiceLost?(service)
        case .session(.observedAddress(let address)):
            observed[index] = address.socketAddress
            let candidates = self.candidates()
            for driver in pathDrivers.values { driver.setCandidates(candidates) }
        default:
            break
        }
    }

    func transmit(_ route: RelayRoute, _ bytes: [UInt8]) {
        guard let destination = routes.destination(of: route), destination.link < links.count,
              links[destination.link].sendServiceDatagramOnLoop(destination.service, payload: bytes[...])
        else {
            unroutable += 1
            return
        }
    }

    /// Whether the active link is registered and a connector serves `service`.
    func isUsable(_ service: ServiceID) -> Bool {
        guard activeLink < links.count else { return false }
        let link = links[activeLink]
        return link.isRegisteredOnLoop && link.isAvailableOnLoop(service) == true
    }

    /// Whether `service`'s tunnel is on a direct path now.
    func isDirect(_ service: ServiceID) -> Bool {
        pathDrivers.values.contains { $0.service == service && $0.isDirect }
    }

    /// The socket's candidates now: its host addresses and what the relays observed.
    func candidates() -> [Candidate] {
        LocalCandidates.gather(socket: endpoint.localAddress, observed: observed.sorted { $0.key < $1.key }.map(\.value),
                               devices: LocalCandidates.deviceAddresses(), excluded: excludedHosts)
    }
}
