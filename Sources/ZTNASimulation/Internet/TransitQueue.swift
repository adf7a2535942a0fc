import NIOCore

/// A datagram between hops. Time moves hop by hop, so every NAT sees a packet at the instant it really gets
/// there: mappings are created, refreshed and checked at the right moment, which is what makes simultaneous
/// hole punching and expiry at the boundary come out right.
struct Transit: Sendable {
    enum Stage: Sendable {
        /// Arriving at the switch of a realm, to be routed there (to a host, to a NAT's outside, or up through
        /// the realm's own NAT).
        case enteringRealm(RealmID)
        /// Arriving at a NAT's external address from its outer realm.
        case reachingNAT(NATID)
        /// Arriving at a host: a delivery.
        case reachingHost(HostID)
    }

    var at: NIODeadline
    /// The send order; ties in time are broken by it at every hop, so deliveries are stable by send order.
    let sequence: Int
    let origin: HostID
    var source: Endpoint
    var destination: Endpoint
    let payload: ByteBuffer
    var stage: Stage

    func isBefore(_ other: Transit) -> Bool { (at, sequence) < (other.at, other.sequence) }
}

/// The datagrams in flight, earliest last so `pop` is O(1) (hundreds in flight at most in our scenarios).
struct TransitQueue: Sendable {
    private var items: [Transit] = []

    var count: Int { items.count }
    var first: Transit? { items.last }

    mutating func insert(_ transit: Transit) {
        // Binary search for the first index whose item is not after `transit` (the array is descending).
        var low = 0
        var high = items.count
        while low < high {
            let middle = (low + high) / 2
            if transit.isBefore(items[middle]) { low = middle + 1 } else { high = middle }
        }
        items.insert(transit, at: low)
    }

    mutating func popFirst(notAfter now: NIODeadline) -> Transit? {
        guard let last = items.last, last.at <= now else { return nil }
        return items.removeLast()
    }
}
