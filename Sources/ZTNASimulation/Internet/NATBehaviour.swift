public import NIOCore

// The RFC 4787 vocabulary for how a NAT treats UDP, as data. The presets are the boxes one meets in the field
// (and in our network-namespace lab, DESIGN.md §11 item 4); the whole-system tests iterate over them.

/// RFC 4787 §4.1: what an outbound packet's mapping (external address:port) depends on.
public enum MappingBehaviour: Sendable, Hashable, CaseIterable {
    /// §4.1 "Endpoint-Independent Mapping": the same mapping for every destination (REQ-1 wants this).
    case endpointIndependent
    /// §4.1 "Address-Dependent Mapping": one mapping per destination IP address.
    case addressDependent
    /// §4.1 "Address and Port-Dependent Mapping": one mapping per destination IP address and port
    /// ("symmetric NAT" in RFC 3489 terms).
    case addressAndPortDependent
}

/// RFC 4787 §5: which inbound packets an existing mapping lets in.
public enum FilteringBehaviour: Sendable, Hashable, CaseIterable {
    /// §5 "Endpoint-Independent Filtering": anything sent to the mapping's external address.
    case endpointIndependent
    /// §5 "Address-Dependent Filtering": only from IP addresses the internal endpoint sent to via this mapping.
    case addressDependent
    /// §5 "Address and Port-Dependent Filtering": only from IP address:port pairs sent to via this mapping.
    case addressAndPortDependent
}

/// RFC 4787 §4.2.1: how the external port of a new mapping is chosen.
public enum PortAssignment: Sendable, Hashable {
    /// "Port preservation": the internal port when it is free, else the next free port above it (wrapping).
    /// Linux `MASQUERADE` does this.
    case preserve
    /// A seeded random free port (REQ-3's "random" strategy; Linux `MASQUERADE random-fully`).
    case random
}

/// How one simulated NAT box behaves (RFC 4787).
public struct NATBehaviour: Sendable, Hashable {
    public var mapping: MappingBehaviour
    public var filtering: FilteringBehaviour
    public var ports: PortAssignment
    /// RFC 4787 §4.3: a mapping (with its filter permissions) is dropped after this long without refreshing
    /// traffic. REQ-5 asks for at least 2 minutes, but boxes in the field use about 30 s for UDP, which is why
    /// DESIGN.md §6 keeps direct paths alive with a PING every 15 s; 30 s is the default.
    public var mappingTimeout: TimeAmount
    /// RFC 4787 §4.3 REQ-6: outbound packets always refresh a mapping; whether accepted inbound packets do too
    /// is the box's choice (Linux conntrack: yes).
    public var refreshOnInbound: Bool
    /// RFC 4787 §6 REQ-9: a packet from inside to this NAT's own external address is translated and turned
    /// around inside ("hairpinning"); without it, such packets are dropped.
    public var hairpinning: Bool
    /// The external ports this box hands out. RFC 4787 REQ-3 ranges are 1024–65535 for unprivileged ports; a
    /// smaller range lets tests exhaust the pool.
    public var externalPorts: ClosedRange<Int>

    public init(mapping: MappingBehaviour, filtering: FilteringBehaviour, ports: PortAssignment = .preserve,
                mappingTimeout: TimeAmount = .seconds(30), refreshOnInbound: Bool = true,
                hairpinning: Bool = false, externalPorts: ClosedRange<Int> = 1024...65535) {
        precondition(externalPorts.lowerBound >= 1 && externalPorts.upperBound <= 65535, "ports are 1…65535")
        self.mapping = mapping
        self.filtering = filtering
        self.ports = ports
        self.mappingTimeout = mappingTimeout
        self.refreshOnInbound = refreshOnInbound
        self.hairpinning = hairpinning
        self.externalPorts = externalPorts
    }

    // MARK: - Presets

    /// "Full cone": EIM + EIF. Once a mapping exists anyone on the internet can reach it.
    public static let fullCone = NATBehaviour(mapping: .endpointIndependent, filtering: .endpointIndependent)
    /// "Address-restricted cone": EIM + ADF.
    public static let addressRestrictedCone = NATBehaviour(mapping: .endpointIndependent,
                                                           filtering: .addressDependent)
    /// "Port-restricted cone": EIM + APDF with port preservation, like Linux `MASQUERADE`. The most common
    /// home router; two of them punch (RFC 4787 §4.1 explains why EIM is what makes punching work).
    public static let portRestrictedCone = NATBehaviour(mapping: .endpointIndependent,
                                                        filtering: .addressAndPortDependent)
    /// Address-dependent mapping + address-dependent filtering: a new port per destination IP, the same port for
    /// every port of that IP.
    public static let addressDependentMapping = NATBehaviour(mapping: .addressDependent,
                                                             filtering: .addressDependent)
    /// "Symmetric": APDM + APDF with random ports, like Linux `MASQUERADE random-fully`. The mapping a relay
    /// observes is useless to a peer, so symmetric ↔ symmetric never goes direct.
    public static let symmetric = NATBehaviour(mapping: .addressAndPortDependent,
                                               filtering: .addressAndPortDependent, ports: .random)

    /// Every preset with its name, for tables of NAT pairs.
    public static let presets: [(name: String, behaviour: NATBehaviour)] = [
        ("fullCone", .fullCone), ("addressRestrictedCone", .addressRestrictedCone),
        ("portRestrictedCone", .portRestrictedCone), ("addressDependentMapping", .addressDependentMapping),
        ("symmetric", .symmetric),
    ]
}
