public import NIOCore

/// A deterministic simulated internet of hosts and RFC 4787 NAT boxes, for whole-system tests of direct paths
/// (DESIGN.md §6, §11 item 2).
///
/// The picture: realms are address spaces joined by NATs. `.internet` is the public one; every NAT has its
/// external address in an outer realm and owns an inside realm (a NAT inside another NAT's realm is
/// carrier-grade NAT behind a home NAT). A realm is one switch: a host reaches any host of its own realm
/// directly (a LAN) and any NAT external address in it; anything else goes up through the realm's NAT, or is
/// dropped with `noRoute` on the internet (private addresses are not routed there).
///
/// Links and time: every host has an access link (one-way latency, random loss in each direction), every NAT
/// has a link to its outer realm (latency, no loss); a datagram's one-way delay is the sum of the links it
/// crosses. Nothing reads a clock: `send` takes `now`, `deliverDue(now:)` moves time, loss and random ports
/// come from `SplitMix64`s seeded from `init(seed:)`, so every run is the same.
///
/// Driving it (sans-IO, STYLE.md rule 2): `send(…)` whenever a node transmits; `nextDeliveryTime()` is the
/// next instant the network has work (a datagram reaching a host *or* a NAT); `deliverDue(now:)` performs all
/// work up to `now` and returns what reached hosts, in time order, ties by send order. A call may return no
/// deliveries when the work was a NAT dropping or forwarding a packet.
public struct SimulatedInternet: Sendable {
    struct Host: Sendable {
        let ip: IPAddress
        let realm: RealmID
        let latency: TimeAmount
        let lossRate: Double
        var random: SplitMix64
    }

    struct Realm: Sendable {
        /// The NAT whose inside this is; nil for the internet.
        let owner: NATID?
        var hosts: [IPAddress: HostID] = [:]
        /// NATs whose external address is in this realm.
        var nats: [IPAddress: NATID] = [:]
    }

    /// An unordered pair of hosts, for cuts.
    struct HostPair: Hashable, Sendable {
        let low: Int
        let high: Int
        init(_ a: HostID, _ b: HostID) { (low, high) = (min(a.index, b.index), max(a.index, b.index)) }
    }

    var hosts: [Host] = []
    var nats: [SimulatedNAT] = []
    var realms: [Realm] = [Realm(owner: nil)]
    var inFlight = TransitQueue()
    var sendSequence = 0
    var cutPairs: Set<HostPair> = []
    var cutHosts: Set<HostID> = []
    /// Hands every host and NAT its own generator, so adding one never shifts another's random choices.
    private var seeds: SplitMix64

    /// Every dropped datagram, by reason.
    public internal(set) var drops: [DropReason: Int] = [:]
    /// Datagrams handed to hosts so far.
    public internal(set) var deliveredCount = 0

    public init(seed: UInt64) {
        seeds = SplitMix64(seed: seed)
    }

    // MARK: - Building the topology

    /// Adds a NAT box with `externalIP` in `realm` (its outer side) and returns it with its new inside realm.
    /// `latency` is the one-way latency of the box's link to the outer realm.
    public mutating func addNAT(_ behaviour: NATBehaviour, externalIP: String, in realm: RealmID = .internet,
                                latency: TimeAmount = .zero) throws(SimulatedInternetError) -> (NATID, RealmID) {
        let ip = try claim(externalIP, in: realm, latency: latency, lossRate: 0)
        guard ip.isIPv4 else { throw SimulatedInternetError(.natNeedsIPv4, "NAT external address \(ip)") }
        let id = NATID(nats.count)
        let inside = RealmID(realms.count)
        nats.append(SimulatedNAT(id: id, behaviour: behaviour, external: ip, outerRealm: realm,
                                 insideRealm: inside, latency: latency, seed: seeds.next()))
        realms.append(Realm(owner: id))
        realms[realm.index].nats[ip] = id
        return (id, inside)
    }

    /// Adds a host at `ip` in `realm`. `latency` is the one-way latency of its access link and `lossRate` the
    /// probability that a datagram is lost crossing it (drawn separately in each direction).
    public mutating func addHost(ip: String, in realm: RealmID, latency: TimeAmount,
                                 lossRate: Double = 0) throws(SimulatedInternetError) -> HostID {
        let address = try claim(ip, in: realm, latency: latency, lossRate: lossRate)
        let id = HostID(hosts.count)
        hosts.append(Host(ip: address, realm: realm, latency: latency, lossRate: lossRate,
                          random: SplitMix64(seed: seeds.next())))
        realms[realm.index].hosts[address] = id
        return id
    }

    private func claim(_ literal: String, in realm: RealmID, latency: TimeAmount,
                       lossRate: Double) throws(SimulatedInternetError) -> IPAddress {
        guard realm.index >= 0, realm.index < realms.count else {
            throw SimulatedInternetError(.unknownRealm, "\(realm)")
        }
        guard let ip = IPAddress(literal) else { throw SimulatedInternetError(.invalidAddress, literal) }
        guard latency >= .zero, (0...1).contains(lossRate) else {
            throw SimulatedInternetError(.invalidLink, "latency \(latency), loss rate \(lossRate)")
        }
        guard realms[realm.index].hosts[ip] == nil, realms[realm.index].nats[ip] == nil else {
            throw SimulatedInternetError(.duplicateAddress, "\(ip) in \(realm)")
        }
        return ip
    }

    // MARK: - Faults

    /// Drops everything flowing between `a` and `b`, in both directions and through any NATs, until healed.
    /// Datagrams still cross the NATs on the way (refreshing mappings) and die where they would reach the host:
    /// the path is broken somewhere in the middle, each host's paths to others (a relay) keep working.
    public mutating func cut(between a: HostID, and b: HostID) { cutPairs.insert(HostPair(a, b)) }
    public mutating func heal(between a: HostID, and b: HostID) { cutPairs.remove(HostPair(a, b)) }
    /// Unplugs a host: nothing it sends leaves, nothing reaches it, until healed.
    public mutating func cutHost(_ host: HostID) { cutHosts.insert(host) }
    public mutating func healHost(_ host: HostID) { cutHosts.remove(host) }

    // MARK: - Queries

    /// The address a socket of `host` bound to `port` has in the host's own realm.
    public func address(of host: HostID, port: Int) -> SocketAddress {
        hosts[host.index].ip.socketAddress(port: port)
    }

    public func realm(of host: HostID) -> RealmID { hosts[host.index].realm }

    /// The NAT's external address (in its outer realm) with `port`.
    public func externalAddress(of nat: NATID, port: Int) -> SocketAddress {
        nats[nat.index].external.socketAddress(port: port)
    }

    /// The address the internet sees for `host`'s socket on `port` sending towards `destination`, following the
    /// live mappings of every NAT between the host and the internet; nil when one of them has no live mapping
    /// (or it is per-destination and no destination was given). A host on the internet is its own address.
    public func externalAddress(of host: HostID, port: Int, toward destination: SocketAddress? = nil,
                                now: NIODeadline) -> SocketAddress? {
        var endpoint = Endpoint(ip: hosts[host.index].ip, port: port)
        var realm = hosts[host.index].realm
        let remote = destination.flatMap(Endpoint.init)
        while let owner = realms[realm.index].owner {
            let nat = nats[owner.index]
            guard let next = nat.existingMapping(for: endpoint, toward: remote, now: now) else { return nil }
            endpoint = next
            realm = nat.outerRealm
        }
        return endpoint.socketAddress
    }

    /// The live mappings of `nat` at `now`, by external port.
    public func mappings(of nat: NATID, now: NIODeadline) -> [NATMapping] { nats[nat.index].mappings(now: now) }

    /// Datagrams still on their way.
    public var inFlightCount: Int { inFlight.count }

    /// All drops, whatever the reason.
    public var totalDrops: Int { drops.values.reduce(0, +) }
}
