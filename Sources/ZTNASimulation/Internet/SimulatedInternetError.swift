/// A topology mistake when building a `SimulatedInternet` (STYLE.md: error structs with an extensible code).
public struct SimulatedInternetError: Error, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// Not an IPv4 or IPv6 literal.
        public static let invalidAddress = Code(name: "invalidAddress")
        /// The address is already used by a host or NAT in that realm.
        public static let duplicateAddress = Code(name: "duplicateAddress")
        /// No such realm.
        public static let unknownRealm = Code(name: "unknownRealm")
        /// The simulation's NATs are NAT44: the external address must be IPv4.
        public static let natNeedsIPv4 = Code(name: "natNeedsIPv4")
        /// A negative latency or a loss rate outside 0…1.
        public static let invalidLink = Code(name: "invalidLink")
        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
