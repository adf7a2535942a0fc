// Identifiers of the simulated internet's parts. Newtypes, so a host can never be passed where a NAT is
// expected (STYLE.md rule 5); they are handed out by `SimulatedInternet` and mean nothing outside it.

/// A simulated end host (a node with one access link).
public struct HostID: Hashable, Sendable, CustomStringConvertible {
    let index: Int
    init(_ index: Int) { self.index = index }
    public var description: String { "host#\(index)" }
}

/// A simulated NAT box (RFC 4787): one external address in an outer realm, one inside realm.
public struct NATID: Hashable, Sendable, CustomStringConvertible {
    let index: Int
    init(_ index: Int) { self.index = index }
    public var description: String { "nat#\(index)" }
}

/// An address space: the public internet, or the inside of one NAT. Addresses are unique within a realm and
/// mean nothing outside it, so two NATs may both have a host at 192.168.1.2.
public struct RealmID: Hashable, Sendable, CustomStringConvertible {
    /// 0 is the internet; the inside of NAT n is n + 1.
    let index: Int
    init(_ index: Int) { self.index = index }
    public static let internet = RealmID(0)
    public var description: String { index == 0 ? "internet" : "inside(nat#\(index - 1))" }
}
