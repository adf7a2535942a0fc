/// One relay-protocol message (DESIGN.md §3, ALPN `ztna-v1`): the whole payload of one QUIC DATAGRAM frame
/// (RFC 9221) on a relay connection. The first byte is the type; multi-byte integers are big-endian.
///
/// ```
/// 01 addr(4|16) port(2)      OBSERVED_ADDRESS     relay → client
/// 10 len id                  REGISTER (agent)     agent → relay
/// 11 len id                  REGISTER (connector) connector → relay
/// 12 00 len id               REGISTER_ACK         relay → client
/// 13 reason len id           REGISTER_NACK        relay → client   (id echoed as received)
/// 14 len id                  DEREGISTER           client → relay   (answered with REGISTER_ACK)
/// 15 state len id            SERVICE_STATUS       relay → agent
/// 2F len id payload          SERVICE_DATAGRAM     agent ↔ relay
/// 30 peer(8) len id payload  PEER_DATAGRAM        relay ↔ connector
/// ```
///
/// `Kind` is the only place these type bytes appear (STYLE.md rule 13). Parsing is total
/// (`init(parsing:)`, in RelayMessage+Parsing.swift); the forwarding hot path parses only the header of
/// `0x2F`/`0x30` with `RelayDatagramHeader` and never copies the payload.
public enum RelayMessage: Sendable, Hashable {
    case observedAddress(ObservedAddress)
    case registerAgent(ServiceID)
    case registerConnector(ServiceID)
    case registerAck(ServiceID)
    /// `id` is echoed as the relay received it: possibly empty, possibly not a valid service id.
    /// At most 255 bytes are encoded (the length is one byte).
    case registerNack(reason: RegisterNackReason, id: [UInt8])
    case deregister(ServiceID)
    case serviceStatus(available: Bool, ServiceID)
    case serviceDatagram(ServiceID, payload: ArraySlice<UInt8>)
    case peerDatagram(peer: PeerID, ServiceID, payload: ArraySlice<UInt8>)

    // MARK: - Wire constants

    /// The type byte of every relay message.
    public enum Kind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case observedAddress = 0x01
        case registerAgent = 0x10
        case registerConnector = 0x11
        case registerAck = 0x12
        case registerNack = 0x13
        case deregister = 0x14
        case serviceStatus = 0x15
        case serviceDatagram = 0x2F
        case peerDatagram = 0x30

        /// Whether a client (agent or connector) may send this type to the relay. The relay drops the others.
        public var isSentByClients: Bool {
            switch self {
            case .registerAgent, .registerConnector, .deregister, .serviceDatagram, .peerDatagram: true
            case .observedAddress, .registerAck, .registerNack, .serviceStatus: false
            }
        }

        /// Whether the relay sends this type to clients. A client ignores the others.
        public var isSentByRelay: Bool {
            switch self {
            case .observedAddress, .registerAck, .registerNack, .serviceStatus, .serviceDatagram, .peerDatagram: true
            case .registerAgent, .registerConnector, .deregister: false
            }
        }

        public var description: String {
            switch self {
            case .observedAddress: "OBSERVED_ADDRESS"
            case .registerAgent: "REGISTER(agent)"
            case .registerConnector: "REGISTER(connector)"
            case .registerAck: "REGISTER_ACK"
            case .registerNack: "REGISTER_NACK"
            case .deregister: "DEREGISTER"
            case .serviceStatus: "SERVICE_STATUS"
            case .serviceDatagram: "SERVICE_DATAGRAM"
            case .peerDatagram: "PEER_DATAGRAM"
            }
        }
    }

    /// The byte after `0x12` in REGISTER_ACK.
    static let registerAckStatus: UInt8 = 0x00
    /// SERVICE_STATUS state bytes.
    static let statusUnavailable: UInt8 = 0x00
    static let statusAvailable: UInt8 = 0x01
    /// The largest id a length byte can describe (REGISTER_NACK echoes up to this many bytes).
    public static let maximumEchoedIDLength = 255

    /// This message's type.
    public var kind: Kind {
        switch self {
        case .observedAddress: .observedAddress
        case .registerAgent: .registerAgent
        case .registerConnector: .registerConnector
        case .registerAck: .registerAck
        case .registerNack: .registerNack
        case .deregister: .deregister
        case .serviceStatus: .serviceStatus
        case .serviceDatagram: .serviceDatagram
        case .peerDatagram: .peerDatagram
        }
    }

    // MARK: - Encoding

    /// The exact encoded size.
    public var wireLength: Int {
        switch self {
        case .observedAddress(let address): 1 + address.wireLength
        case .registerAgent(let id), .registerConnector(let id), .deregister(let id): 2 + id.bytes.count
        case .registerAck(let id), .serviceStatus(_, let id): 3 + id.bytes.count
        case .registerNack(_, let id): 3 + min(id.count, Self.maximumEchoedIDLength)
        case .serviceDatagram(let id, let payload): 2 + id.bytes.count + payload.count
        case .peerDatagram(_, let id, let payload): 2 + PeerID.wireLength + id.bytes.count + payload.count
        }
    }

    /// Appends the encoded message.
    public func encode(into out: inout [UInt8]) {
        out.append(kind.rawValue)
        switch self {
        case .observedAddress(let address):
            address.encode(into: &out)
        case .registerAgent(let id), .registerConnector(let id), .deregister(let id):
            Self.appendID(id.bytes, to: &out)
        case .registerAck(let id):
            out.append(Self.registerAckStatus)
            Self.appendID(id.bytes, to: &out)
        case .registerNack(let reason, let id):
            out.append(reason.rawValue)
            Self.appendID(id.prefix(Self.maximumEchoedIDLength), to: &out)
        case .serviceStatus(let available, let id):
            out.append(available ? Self.statusAvailable : Self.statusUnavailable)
            Self.appendID(id.bytes, to: &out)
        case .serviceDatagram(let id, let payload):
            Self.appendID(id.bytes, to: &out)
            out.append(contentsOf: payload)
        case .peerDatagram(let peer, let id, let payload):
            Self.appendPeer(peer, to: &out)
            Self.appendID(id.bytes, to: &out)
            out.append(contentsOf: payload)
        }
    }

    /// The encoded message, in one allocation of exactly `wireLength` bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(wireLength)
        encode(into: &out)
        return out
    }

    // MARK: - Hot-path builders (one allocation of the exact size)

    /// `2F len id payload`, for an agent sending a tunnel packet to the connector serving `id`.
    public static func encodeServiceDatagram(_ id: ServiceID, payload: ArraySlice<UInt8>) -> [UInt8] {
        id.bytes.withUnsafeBufferPointer { idBytes in
            buildDatagram(kind: .serviceDatagram, peer: nil, id: idBytes, payload: payload)
        }
    }

    /// `30 peer len id payload`, for a connector sending a tunnel packet to agent `peer`.
    public static func encodePeerDatagram(peer: PeerID, _ id: ServiceID, payload: ArraySlice<UInt8>) -> [UInt8] {
        id.bytes.withUnsafeBufferPointer { idBytes in
            buildDatagram(kind: .peerDatagram, peer: peer, id: idBytes, payload: payload)
        }
    }

    /// Builds `kind [peer] len id payload`. `id` is at most 63 bytes (a validated service id), so its length
    /// fits the length byte.
    static func buildDatagram(
        kind: Kind, peer: PeerID?, id: UnsafeBufferPointer<UInt8>, payload: ArraySlice<UInt8>
    ) -> [UInt8] {
        let headerLength = 2 + (peer == nil ? 0 : PeerID.wireLength) + id.count
        return payload.withUnsafeBufferPointer { payloadBytes in
            [UInt8](unsafeUninitializedCapacity: headerLength + payloadBytes.count) { buffer, count in
                // The capacity is at least 2, so the buffer has storage.
                guard let start = buffer.baseAddress else { count = 0; return }
                var index = 0
                buffer[index] = kind.rawValue
                index += 1
                if let peer {
                    for shift in stride(from: 56, through: 0, by: -8) {
                        buffer[index] = UInt8(truncatingIfNeeded: peer.rawValue >> UInt64(shift))
                        index += 1
                    }
                }
                buffer[index] = UInt8(truncatingIfNeeded: id.count)
                index += 1
                if let base = id.baseAddress {
                    (start + index).initialize(from: base, count: id.count)
                }
                index += id.count
                if let base = payloadBytes.baseAddress {
                    (start + index).initialize(from: base, count: payloadBytes.count)
                }
                count = index + payloadBytes.count
            }
        }
    }

    // MARK: - Helpers

    private static func appendID<Bytes: Collection>(_ id: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
        out.append(UInt8(truncatingIfNeeded: id.count))
        out.append(contentsOf: id)
    }

    private static func appendPeer(_ peer: PeerID, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: peer.rawValue >> UInt64(shift)))
        }
    }
}

/// Why the relay refused a REGISTER (DESIGN.md §3, REGISTER_NACK `0x13`).
public enum RegisterNackReason: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `01`: the REGISTER was malformed (bad length, invalid service id, trailing bytes).
    case malformed = 0x01
    /// `02`: the client's certificate does not grant this role for this service (nor `*`).
    case notAuthorized = 0x02
    /// `03`: a configured limit was reached (registrations per connection, services per agent).
    case limitReached = 0x03

    /// A stable label for metrics and logs.
    public var description: String {
        switch self {
        case .malformed: "malformed"
        case .notAuthorized: "not_authorized"
        case .limitReached: "limit_reached"
        }
    }
}
