import NIOCore

/// One RFC 4787 NAT box: its mapping table, port pool and filters. Sans-IO: `SimulatedInternet` hands it a
/// datagram's endpoints and the time, and it answers with the translated endpoint or the reason to drop.
///
/// Design notes:
/// - Every mapping gets its own external port, also under address(-and-port)-dependent mapping, so an inbound
///   packet finds its mapping by destination port alone (RFC 4787 §4.1; real symmetric boxes may reuse a port
///   for different destinations, which only makes them easier to traverse — we model the harder case).
/// - Filter permissions live and die with their mapping (RFC 4787 §5 ties filtering to a mapping; §4.3 timer).
/// - Expiry is lazy: a mapping whose `expiry` is not after `now` is dead; it is removed when something trips
///   over it (an inbound packet, which then counts `mappingExpired`) or when a new mapping needs a port.
struct SimulatedNAT: Sendable {
    let id: NATID
    let behaviour: NATBehaviour
    let external: IPAddress
    /// Where the external address lives, and the realm behind the box.
    let outerRealm: RealmID
    let insideRealm: RealmID
    /// One-way latency of the link between the box and its outer realm.
    let latency: TimeAmount

    /// What a mapping is keyed by (RFC 4787 §4.1): the internal endpoint, plus the remote IP (ADM) or the remote
    /// IP and port (APDM).
    struct Key: Hashable, Sendable {
        var inside: Endpoint
        var remoteIP: IPAddress?
        var remotePort: Int?
    }

    struct Mapping: Sendable {
        var key: Key
        var externalPort: Int
        /// The destination that created a per-destination mapping.
        var remote: Endpoint?
        /// Who the internal endpoint sent to through this mapping (RFC 4787 §5 permissions).
        var contacted: Set<Endpoint> = []
        var contactedIPs: Set<IPAddress> = []
        var expiry: NIODeadline
    }

    enum Translation: Equatable {
        case forward(Endpoint)
        case drop(DropReason)
    }

    private var portByKey: [Key: Int] = [:]
    private var byPort: [Int: Mapping] = [:]
    private var random: SplitMix64

    init(id: NATID, behaviour: NATBehaviour, external: IPAddress, outerRealm: RealmID, insideRealm: RealmID,
         latency: TimeAmount, seed: UInt64) {
        self.id = id
        self.behaviour = behaviour
        self.external = external
        self.outerRealm = outerRealm
        self.insideRealm = insideRealm
        self.latency = latency
        random = SplitMix64(seed: seed)
    }

    // MARK: - Translation

    /// An inside endpoint sends to `destination` (in the outer realm): find or create the mapping and return the
    /// source to put on the packet.
    mutating func translateOutbound(from source: Endpoint, to destination: Endpoint,
                                    now: NIODeadline) -> Translation {
        let key = key(from: source, to: destination)
        if let port = portByKey[key], var mapping = byPort[port] {
            if mapping.expiry > now {
                // RFC 4787 §4.3 REQ-6: outbound traffic always refreshes the mapping.
                mapping.expiry = now + behaviour.mappingTimeout
                mapping.contacted.insert(destination)
                mapping.contactedIPs.insert(destination.ip)
                byPort[port] = mapping
                return .forward(Endpoint(ip: external, port: port))
            }
            remove(port: port)
        }
        removeExpired(now: now)
        guard let port = allocatePort(preferring: source.port) else { return .drop(.portsExhausted) }
        let perDestination = behaviour.mapping != .endpointIndependent
        var mapping = Mapping(key: key, externalPort: port, remote: perDestination ? destination : nil,
                              expiry: now + behaviour.mappingTimeout)
        mapping.contacted.insert(destination)
        mapping.contactedIPs.insert(destination.ip)
        portByKey[key] = port
        byPort[port] = mapping
        return .forward(Endpoint(ip: external, port: port))
    }

    /// A packet from `source` (outer realm, or a hairpinned inside host already translated) arrives on external
    /// port `port`: return the internal endpoint to deliver to, or why not.
    mutating func translateInbound(from source: Endpoint, toPort port: Int, now: NIODeadline) -> Translation {
        guard var mapping = byPort[port] else { return .drop(.noMapping) }
        guard mapping.expiry > now else {
            remove(port: port)
            return .drop(.mappingExpired)
        }
        let admitted = switch behaviour.filtering {
        case .endpointIndependent: true
        case .addressDependent: mapping.contactedIPs.contains(source.ip)
        case .addressAndPortDependent: mapping.contacted.contains(source)
        }
        // RFC 4787 §5: a refused packet changes nothing, in particular it does not refresh the mapping.
        guard admitted else { return .drop(.filtered) }
        if behaviour.refreshOnInbound {
            // RFC 4787 §4.3: inbound refresh is the box's choice (REQ-6 only mandates outbound refresh).
            mapping.expiry = now + behaviour.mappingTimeout
            byPort[port] = mapping
        }
        return .forward(mapping.key.inside)
    }

    // MARK: - Queries

    /// The external endpoint an inside endpoint would use towards `destination`, if a live mapping exists.
    /// With a per-destination mapping and no destination there is no answer.
    func existingMapping(for inside: Endpoint, toward destination: Endpoint?, now: NIODeadline) -> Endpoint? {
        let key: Key
        if let destination {
            key = self.key(from: inside, to: destination)
        } else {
            guard behaviour.mapping == .endpointIndependent else { return nil }
            key = Key(inside: inside)
        }
        guard let port = portByKey[key], let mapping = byPort[port], mapping.expiry > now else { return nil }
        return Endpoint(ip: external, port: port)
    }

    /// Live mappings, by external port.
    func mappings(now: NIODeadline) -> [NATMapping] {
        byPort.values.filter { $0.expiry > now }.sorted { $0.externalPort < $1.externalPort }.map { mapping in
            NATMapping(internalAddress: mapping.key.inside.socketAddress,
                       externalAddress: external.socketAddress(port: mapping.externalPort),
                       remote: mapping.remote?.socketAddress,
                       contacted: Set(mapping.contacted.map(\.socketAddress)),
                       expiry: mapping.expiry)
        }
    }

    // MARK: - Private

    private func key(from source: Endpoint, to destination: Endpoint) -> Key {
        switch behaviour.mapping {
        case .endpointIndependent: Key(inside: source)
        case .addressDependent: Key(inside: source, remoteIP: destination.ip)
        case .addressAndPortDependent: Key(inside: source, remoteIP: destination.ip, remotePort: destination.port)
        }
    }

    private mutating func remove(port: Int) {
        guard let mapping = byPort.removeValue(forKey: port) else { return }
        portByKey[mapping.key] = nil
    }

    private mutating func removeExpired(now: NIODeadline) {
        for (port, mapping) in byPort where mapping.expiry <= now { remove(port: port) }
    }

    /// RFC 4787 §4.2.1: port preservation keeps the internal port when it is free, otherwise takes the next free
    /// port (wrapping inside the pool); the random strategy draws from the seeded generator. Nil when the pool
    /// is exhausted.
    private mutating func allocatePort(preferring internalPort: Int) -> Int? {
        let pool = behaviour.externalPorts
        guard byPort.count < pool.count else { return nil }
        let start: Int
        switch behaviour.ports {
        case .preserve:
            start = pool.contains(internalPort) ? internalPort : pool.lowerBound
        case .random:
            for _ in 0..<64 {
                let port = pool.lowerBound + Int(random.next() % UInt64(pool.count))
                if byPort[port] == nil { return port }
            }
            // A nearly full pool: scan from a random point so the search always ends.
            start = pool.lowerBound + Int(random.next() % UInt64(pool.count))
        }
        for offset in 0..<pool.count {
            let port = pool.lowerBound + (start - pool.lowerBound + offset) % pool.count
            if byPort[port] == nil { return port }
        }
        return nil
    }
}
