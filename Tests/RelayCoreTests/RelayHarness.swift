import ZTNAIdentity
import ZTNAProtocol
@testable import RelayCore

/// Drives a `RelayCore` in tests: connections by name, messages in, parsed transmits out.
struct RelayHarness {
    var core: RelayCore
    private var nextID: UInt64 = 1

    init(limits: RelayLimits = .init(), seed: UInt64 = 7) {
        core = RelayCore(limits: limits, randomSeed: seed)
    }

    static func service(_ text: String) -> ServiceID { ServiceID(text)! }

    /// A connection granted `agent`/`connector` for the listed services (`["*"]` = all).
    mutating func connect(
        _ name: String, agent: [String] = [], connector: [String] = [], address: ObservedAddress? = nil
    ) -> RelayConnectionID {
        let id = RelayConnectionID(rawValue: nextID)
        nextID += 1
        let grants = Grants(connector: Self.grant(connector), agent: Self.grant(agent))
        let admission = core.connectionEstablished(id, grants: grants, name: name, address: address)
        precondition(admission == .accepted, "test set-up: \(admission)")
        return id
    }

    static func grant(_ services: [String]) -> ServiceGrant {
        if services.isEmpty { return .none }
        if services == ["*"] { return .all }
        return .services(Set(services.map { ServiceID($0)! }))
    }

    mutating func send(_ message: RelayMessage, from id: RelayConnectionID) {
        core.handleDatagram(message.bytes, from: id)
    }

    mutating func send(raw bytes: [UInt8], from id: RelayConnectionID) {
        core.handleDatagram(bytes, from: id)
    }

    /// Every queued transmit, parsed (a transmit that does not parse is a bug: recorded as nil message).
    mutating func drain() -> [Sent] {
        var out: [Sent] = []
        while let transmit = core.pollTransmit() {
            out.append(Sent(to: transmit.connection, message: transmit.message, bytes: transmit.datagram))
        }
        return out
    }

    /// Registers and discards the answers.
    mutating func registerAgent(_ id: RelayConnectionID, _ service: String) {
        send(.registerAgent(Self.service(service)), from: id)
        _ = drain()
    }

    mutating func registerConnector(_ id: RelayConnectionID, _ service: String) {
        send(.registerConnector(Self.service(service)), from: id)
        _ = drain()
    }

    /// Sends one tunnel packet from an agent and returns what the relay emitted.
    mutating func fromAgent(_ id: RelayConnectionID, _ service: String, _ payload: [UInt8]) -> [Sent] {
        send(.serviceDatagram(Self.service(service), payload: payload[...]), from: id)
        return drain()
    }

    mutating func fromConnector(
        _ id: RelayConnectionID, to peer: PeerID, _ service: String, _ payload: [UInt8]
    ) -> [Sent] {
        send(.peerDatagram(peer: peer, Self.service(service), payload: payload[...]), from: id)
        return drain()
    }

    func peer(of id: RelayConnectionID) -> PeerID? {
        core.snapshot.first { $0.id == id }?.peer
    }

    struct Sent: Equatable, CustomStringConvertible {
        let to: RelayConnectionID
        let message: RelayMessage?
        let bytes: [UInt8]

        var description: String { "\(to) ← \(message.map { "\($0)" } ?? "unparseable \(bytes)")" }
    }
}

extension Array where Element == RelayHarness.Sent {
    /// (destination, message) pairs, for compact expectations.
    var pairs: [Pair] { map { Pair(to: $0.to, message: $0.message) } }

    struct Pair: Equatable {
        let to: RelayConnectionID
        let message: RelayMessage?
    }
}

func sent(_ to: RelayConnectionID, _ message: RelayMessage) -> [RelayHarness.Sent].Pair {
    .init(to: to, message: message)
}
