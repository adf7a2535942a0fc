// MARK: - Total parsing of relay messages (DESIGN.md §3)

extension RelayMessage {
    /// Parses one whole DATAGRAM payload. Total: any byte string yields a message or a typed error, never a
    /// trap; lengths are checked against the bytes actually present before anything is read or allocated.
    public init(parsing bytes: ArraySlice<UInt8>) throws(RelayMessageError) {
        guard let typeByte = bytes.first else { throw RelayMessageError(.empty, kind: nil) }
        guard let kind = Kind(rawValue: typeByte) else {
            throw RelayMessageError(.unknownType(typeByte), kind: nil)
        }
        var reader = RelayMessageReader(bytes, kind: kind)
        switch kind {
        case .observedAddress:
            let body = bytes.dropFirst()
            guard body.count >= ObservedAddress.ipv4WireLength else { throw reader.error(.truncated) }
            guard let address = ObservedAddress(wire: body) else {
                throw reader.error(.invalidAddressLength(body.count - 2))
            }
            self = .observedAddress(address)
        case .registerAgent:
            self = .registerAgent(try reader.serviceID(last: true))
        case .registerConnector:
            self = .registerConnector(try reader.serviceID(last: true))
        case .deregister:
            self = .deregister(try reader.serviceID(last: true))
        case .registerAck:
            let status = try reader.byte()
            guard status == Self.registerAckStatus else { throw reader.error(.invalidAckStatus(status)) }
            self = .registerAck(try reader.serviceID(last: true))
        case .registerNack:
            let reasonByte = try reader.byte()
            guard let reason = RegisterNackReason(rawValue: reasonByte) else {
                throw reader.error(.invalidNackReason(reasonByte))
            }
            let id = try reader.lengthPrefixed()
            try reader.expectEnd()
            self = .registerNack(reason: reason, id: Array(bytes[id]))
        case .serviceStatus:
            let state = try reader.byte()
            guard state == Self.statusAvailable || state == Self.statusUnavailable else {
                throw reader.error(.invalidStatus(state))
            }
            self = .serviceStatus(available: state == Self.statusAvailable, try reader.serviceID(last: true))
        case .serviceDatagram, .peerDatagram:
            let header = try RelayDatagramHeader(parsing: bytes)
            // The header validated the id, so this cannot fail; stay total anyway.
            guard let id = ServiceID(bytes: bytes[header.serviceID]) else { throw reader.error(.invalidServiceID) }
            if let peer = header.peer {
                self = .peerDatagram(peer: peer, id, payload: bytes[header.payload])
            } else {
                self = .serviceDatagram(id, payload: bytes[header.payload])
            }
        }
    }

    /// Parses one whole DATAGRAM payload.
    public init(parsing bytes: [UInt8]) throws(RelayMessageError) {
        try self.init(parsing: bytes[...])
    }
}

// MARK: - Reader

/// A bounds-checked cursor over one message; every read checks the bytes remaining first.
struct RelayMessageReader {
    let bytes: ArraySlice<UInt8>
    let kind: RelayMessage.Kind
    private(set) var index: Int

    /// Positioned after the type byte.
    init(_ bytes: ArraySlice<UInt8>, kind: RelayMessage.Kind) {
        self.bytes = bytes
        self.kind = kind
        self.index = bytes.startIndex + 1
    }

    var remaining: Int { bytes.endIndex - index }

    func error(_ reason: RelayMessageError.Reason) -> RelayMessageError {
        RelayMessageError(reason, kind: kind)
    }

    mutating func byte() throws(RelayMessageError) -> UInt8 {
        guard index < bytes.endIndex else { throw error(.truncated) }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func uint64() throws(RelayMessageError) -> UInt64 {
        guard remaining >= 8 else { throw error(.truncated) }
        var value: UInt64 = 0
        for offset in 0..<8 { value = value << 8 | UInt64(bytes[index + offset]) }
        index += 8
        return value
    }

    /// `len bytes(len)`: the range of the bytes, checked against what is present.
    mutating func lengthPrefixed() throws(RelayMessageError) -> Range<Int> {
        let length = Int(try byte())
        guard remaining >= length else { throw error(.truncated) }
        defer { index += length }
        return index..<(index + length)
    }

    /// `len id`, validated as a service id, as a range; with `last`, nothing may follow.
    mutating func serviceIDRange(last: Bool) throws(RelayMessageError) -> Range<Int> {
        let range = try lengthPrefixed()
        if last { try expectEnd() }
        guard ServiceID.isValid(bytes[range]) else { throw error(.invalidServiceID) }
        return range
    }

    mutating func serviceID(last: Bool) throws(RelayMessageError) -> ServiceID {
        let range = try serviceIDRange(last: last)
        guard let id = ServiceID(bytes: bytes[range]) else { throw error(.invalidServiceID) }
        return id
    }

    func expectEnd() throws(RelayMessageError) {
        guard remaining == 0 else { throw error(.trailingBytes) }
    }
}
