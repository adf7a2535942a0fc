import QUICCore

/// Names the relayed paths of tunnel connections (DESIGN.md §1, §4). The QUIC endpoint knows a relayed path
/// only as an opaque `RelayRoute`; this table maps each to where its packets go: for a connector (relay link,
/// agent peer id, service), for an agent (relay link, service). Loop-confined, like the endpoint.
final class RelayRouteTable<Destination: Hashable> {
    private var routes: [Destination: RelayRoute] = [:]
    private var destinations: [UInt64: Destination] = [:]
    private var next: UInt64 = 1

    /// The route for `destination`, created on first use (never 0, never reused).
    func route(for destination: Destination) -> RelayRoute {
        if let route = routes[destination] { return route }
        let route = RelayRoute(next)
        next += 1
        routes[destination] = route
        destinations[route.rawValue] = destination
        return route
    }

    func destination(of route: RelayRoute) -> Destination? {
        destinations[route.rawValue]
    }

    /// Forgets every route whose destination matches (a relay link that went down).
    func removeAll(where matches: (Destination) -> Bool) {
        for (destination, route) in routes where matches(destination) {
            routes[destination] = nil
            destinations[route.rawValue] = nil
        }
    }

    var count: Int { routes.count }
}
