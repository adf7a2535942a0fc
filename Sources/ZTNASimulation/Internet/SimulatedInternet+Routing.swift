public import NIOCore

// MARK: - Sending and delivering
//
// A datagram's life, hop by hop (each hop is a `Transit` event at the instant it happens):
//
//   send ──(sender's access link: latency, loss)──▶ enteringRealm(R)
//   enteringRealm(R):  destination is a host of R      ──(its access link)──▶ reachingHost
//                      destination is a NAT's outside  ──(the NAT's link)───▶ reachingNAT(N)
//                      R is the inside of NAT N        ── outbound translation at N, then
//                            to N's own external IP:    hairpin (RFC 4787 §6) → inbound at N at once
//                            otherwise                  ──(N's link)──▶ enteringRealm(N's outer realm)
//                      otherwise (the internet)        ── drop noRoute
//   reachingNAT(N):    inbound translation (mapping by port, §4.3 expiry, §5 filtering) → enteringRealm(inside)
//   reachingHost(H):   cuts checked, then a `Delivery`
extension SimulatedInternet {
    /// `host` sends `payload` from its socket on `port` to `destination` at `now`. The source is the host's own
    /// address and that port; NATs on the way rewrite it.
    public mutating func send(from host: HostID, source port: Int, to destination: SocketAddress,
                              payload: ByteBuffer, now: NIODeadline) {
        precondition((1...65535).contains(port), "source port \(port) is not a UDP port")
        sendSequence += 1
        guard !cutHosts.contains(host) else { return drop(.cut) }
        guard let target = Endpoint(destination) else { return drop(.noRoute) }
        guard crossAccessLink(of: host) else { return drop(.loss) }
        let sender = hosts[host.index]
        let transit = Transit(at: now + sender.latency, sequence: sendSequence, origin: host,
                              source: Endpoint(ip: sender.ip, port: port), destination: target, payload: payload,
                              stage: .enteringRealm(sender.realm))
        inFlight.insert(transit)
    }

    /// The next instant the network has work: a datagram reaching a host or a NAT. Nil when nothing is in
    /// flight. `deliverDue` at that instant may return nothing (the work was a NAT forwarding or dropping).
    public func nextDeliveryTime() -> NIODeadline? { inFlight.first?.at }

    /// Performs every hop due at or before `now` and returns the datagrams that reached hosts, in arrival order
    /// (ties in the order they were sent).
    public mutating func deliverDue(now: NIODeadline) -> [Delivery] {
        var deliveries: [Delivery] = []
        while let transit = inFlight.popFirst(notAfter: now) {
            switch transit.stage {
            case .enteringRealm(let realm): route(transit, in: realm)
            case .reachingNAT(let nat): arriveFromOutside(transit, at: nat)
            case .reachingHost(let host):
                if let delivery = arrive(transit, at: host) { deliveries.append(delivery) }
            }
        }
        return deliveries
    }

    // MARK: - Hops

    private mutating func route(_ transit: Transit, in realmID: RealmID) {
        var next = transit
        let realm = realms[realmID.index]
        if let host = realm.hosts[transit.destination.ip] {
            guard crossAccessLink(of: host) else { return drop(.loss) }
            next.at = transit.at + hosts[host.index].latency
            next.stage = .reachingHost(host)
            inFlight.insert(next)
        } else if let nat = realm.nats[transit.destination.ip] {
            next.at = transit.at + nats[nat.index].latency
            next.stage = .reachingNAT(nat)
            inFlight.insert(next)
        } else if let owner = realm.owner {
            leave(transit, through: owner)
        } else {
            drop(.noRoute)
        }
    }

    /// Outbound through `natID` from its inside.
    private mutating func leave(_ transit: Transit, through natID: NATID) {
        let nat = nats[natID.index]
        // NAT44 only: an IPv6 datagram has nowhere to go from a private realm.
        guard transit.destination.ip.isIPv4, transit.source.ip.isIPv4 else { return drop(.noRoute) }
        let hairpin = transit.destination.ip == nat.external
        // RFC 4787 §6: without hairpinning, a packet to the box's own external address goes nowhere.
        if hairpin, !nat.behaviour.hairpinning { return drop(.hairpinRefused) }
        // RFC 4787 §4.1/§4.2.1: find or create the mapping; §4.3: outbound refreshes it.
        switch nats[natID.index].translateOutbound(from: transit.source, to: transit.destination, now: transit.at) {
        case .drop(let reason):
            drop(reason)
        case .forward(let external):
            var next = transit
            next.source = external
            if hairpin {
                // RFC 4787 §6 REQ-9: the hairpinned packet carries the sender's *external* mapping as its source
                // and goes through the inbound side (mapping lookup and filtering) without leaving the box.
                arriveFromOutside(next, at: natID)
            } else {
                next.at = transit.at + nat.latency
                next.stage = .enteringRealm(nat.outerRealm)
                inFlight.insert(next)
            }
        }
    }

    /// Inbound at `natID`'s external address.
    private mutating func arriveFromOutside(_ transit: Transit, at natID: NATID) {
        switch nats[natID.index].translateInbound(from: transit.source, toPort: transit.destination.port,
                                                  now: transit.at) {
        case .drop(let reason):
            drop(reason)
        case .forward(let inside):
            var next = transit
            next.destination = inside
            route(next, in: nats[natID.index].insideRealm)
        }
    }

    private mutating func arrive(_ transit: Transit, at host: HostID) -> Delivery? {
        if cutHosts.contains(host) || cutPairs.contains(HostPair(transit.origin, host)) {
            drop(.cut)
            return nil
        }
        deliveredCount += 1
        return Delivery(host: host, localAddress: transit.destination.socketAddress,
                        source: transit.source.socketAddress, payload: transit.payload, time: transit.at)
    }

    /// Draws from the host's own generator (only when it has loss, so lossless hosts never consume numbers).
    private mutating func crossAccessLink(of host: HostID) -> Bool {
        let rate = hosts[host.index].lossRate
        guard rate > 0 else { return true }
        return hosts[host.index].random.nextDouble() >= rate
    }

    mutating func drop(_ reason: DropReason) { drops[reason, default: 0] += 1 }
}
