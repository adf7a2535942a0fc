// MARK: - Encoding

extension TransportParameters {
    /// The wire form (RFC 9000 §18). Parameters equal to their defaults and nil optionals are omitted;
    /// known parameters come first in id order, then `unknown` entries in id order.
    public func encode() -> [UInt8] {
        let defaults = Self.defaults
        var out: [UInt8] = []
        out.reserveCapacity(128)
        if let id = originalDestinationConnectionID {
            out.appendParameter(.originalDestinationConnectionID, bytes: id.bytes)
        }
        out.appendParameter(.maxIdleTimeout, integer: maxIdleTimeout, unless: defaults.maxIdleTimeout)
        if let token = statelessResetToken {
            out.appendParameter(.statelessResetToken, bytes: token.bytes)
        }
        out.appendParameter(.maxUDPPayloadSize, integer: maxUDPPayloadSize, unless: defaults.maxUDPPayloadSize)
        out.appendParameter(.initialMaxData, integer: initialMaxData, unless: defaults.initialMaxData)
        out.appendParameter(.initialMaxStreamDataBidiLocal, integer: initialMaxStreamDataBidiLocal,
                            unless: defaults.initialMaxStreamDataBidiLocal)
        out.appendParameter(.initialMaxStreamDataBidiRemote, integer: initialMaxStreamDataBidiRemote,
                            unless: defaults.initialMaxStreamDataBidiRemote)
        out.appendParameter(.initialMaxStreamDataUni, integer: initialMaxStreamDataUni,
                            unless: defaults.initialMaxStreamDataUni)
        out.appendParameter(.initialMaxStreamsBidi, integer: initialMaxStreamsBidi, unless: defaults.initialMaxStreamsBidi)
        out.appendParameter(.initialMaxStreamsUni, integer: initialMaxStreamsUni, unless: defaults.initialMaxStreamsUni)
        out.appendParameter(.ackDelayExponent, integer: ackDelayExponent, unless: defaults.ackDelayExponent)
        out.appendParameter(.maxAckDelay, integer: maxAckDelay, unless: defaults.maxAckDelay)
        if disableActiveMigration {
            out.appendParameter(.disableActiveMigration, bytes: [])
        }
        if let address = preferredAddress {
            out.appendParameter(.preferredAddress, bytes: address)
        }
        out.appendParameter(.activeConnectionIDLimit, integer: activeConnectionIDLimit,
                            unless: defaults.activeConnectionIDLimit)
        if let id = initialSourceConnectionID {
            out.appendParameter(.initialSourceConnectionID, bytes: id.bytes)
        }
        if let id = retrySourceConnectionID {
            out.appendParameter(.retrySourceConnectionID, bytes: id.bytes)
        }
        if let size = maxDatagramFrameSize {
            out.appendParameter(.maxDatagramFrameSize, integer: size, unless: nil)
        }
        switch natTraversal {
        case .client:
            out.appendParameter(.natTraversal, bytes: [])
        case .server(let limit):
            out.appendParameter(.natTraversal, integer: limit, unless: nil)
        case nil:
            break
        }
        if let mode = addressDiscovery {
            out.appendParameter(.addressDiscovery, integer: mode.rawValue, unless: nil)
        }
        for (rawID, value) in unknown.sorted(by: { $0.key < $1.key }) {
            let id = TransportParameterID(rawValue: rawID)
            // A known id here would duplicate the field's own encoding (RFC 9000 §7.4: MUST NOT repeat).
            if !id.isKnown {
                out.appendParameter(id, bytes: value)
            }
        }
        return out
    }
}

// MARK: - Decoding

extension TransportParameters {
    /// Parses transport parameters sent by `sentBy` (RFC 9000 §7.4, §18).
    ///
    /// Every failure is TRANSPORT_PARAMETER_ERROR: truncation, a duplicate id, a value out of range,
    /// a fixed-size parameter of the wrong length, or a server-only parameter sent by a client.
    /// Reserved ids (31 * N + 27) are ignored; other unknown ids are kept in `unknown`.
    public static func decode(_ bytes: [UInt8], sentBy sender: EndpointRole) throws(QUICWireError) -> TransportParameters {
        do {
            return try decodeParameters(bytes, sentBy: sender)
        } catch {
            throw error.withCode(.transportParameterError)
        }
    }

    private static func decodeParameters(_ bytes: [UInt8], sentBy sender: EndpointRole) throws(QUICWireError) -> TransportParameters {
        var reader = ByteReader(bytes)
        var parameters = TransportParameters()
        // Duplicate detection: a bit per id below 64 (all known ids), a set only for the rest.
        var seenSmall: UInt64 = 0
        var seenLarge: Set<UInt64> = []
        while !reader.isAtEnd {
            let id = TransportParameterID(rawValue: try reader.readVarInt())
            let length = try reader.readVarInt()
            guard length <= UInt64(reader.remaining) else {
                throw invalid(id, "length \(length) exceeds the remaining \(reader.remaining) bytes")
            }
            var value = try reader.subReader(Int(length))
            let firstTime: Bool
            if id.rawValue < 64 {
                firstTime = seenSmall & (1 << id.rawValue) == 0
                seenSmall |= 1 << id.rawValue
            } else {
                firstTime = seenLarge.insert(id.rawValue).inserted
            }
            guard firstTime else { throw invalid(id, "duplicate parameter") }
            if sender == .client, id.isServerOnly {
                throw invalid(id, "server-only parameter sent by a client")
            }
            try parameters.apply(id, value: &value, sentBy: sender)
        }
        return parameters
    }

    /// Stores one parameter's value, validating it (RFC 9000 §18.2).
    private mutating func apply(_ id: TransportParameterID, value: inout ByteReader,
                                sentBy sender: EndpointRole) throws(QUICWireError) {
        switch id {
        case .originalDestinationConnectionID:
            originalDestinationConnectionID = try Self.connectionID(id, &value)
        case .maxIdleTimeout:
            maxIdleTimeout = try Self.integer(id, &value)
        case .statelessResetToken:
            guard value.remaining == StatelessResetToken.length else { throw Self.invalid(id, "must be 16 bytes") }
            statelessResetToken = StatelessResetToken(unchecked: value.readRemaining())
        case .maxUDPPayloadSize:
            maxUDPPayloadSize = try Self.integer(id, &value, atLeast: Self.minimumMaxUDPPayloadSize)
        case .initialMaxData:
            initialMaxData = try Self.integer(id, &value)
        case .initialMaxStreamDataBidiLocal:
            initialMaxStreamDataBidiLocal = try Self.integer(id, &value)
        case .initialMaxStreamDataBidiRemote:
            initialMaxStreamDataBidiRemote = try Self.integer(id, &value)
        case .initialMaxStreamDataUni:
            initialMaxStreamDataUni = try Self.integer(id, &value)
        case .initialMaxStreamsBidi:
            initialMaxStreamsBidi = try Self.integer(id, &value, atMost: Self.maximumStreamCount)
        case .initialMaxStreamsUni:
            initialMaxStreamsUni = try Self.integer(id, &value, atMost: Self.maximumStreamCount)
        case .ackDelayExponent:
            ackDelayExponent = try Self.integer(id, &value, atMost: Self.maximumAckDelayExponent)
        case .maxAckDelay:
            maxAckDelay = try Self.integer(id, &value, atMost: Self.maxAckDelayLimit - 1)
        case .disableActiveMigration:
            guard value.isAtEnd else { throw Self.invalid(id, "must be empty") }
            disableActiveMigration = true
        case .preferredAddress:
            try Self.validatePreferredAddress(value)
            preferredAddress = value.readRemaining()
        case .activeConnectionIDLimit:
            activeConnectionIDLimit = try Self.integer(id, &value, atLeast: Self.minimumActiveConnectionIDLimit)
        case .initialSourceConnectionID:
            initialSourceConnectionID = try Self.connectionID(id, &value)
        case .retrySourceConnectionID:
            retrySourceConnectionID = try Self.connectionID(id, &value)
        case .maxDatagramFrameSize:
            maxDatagramFrameSize = try Self.integer(id, &value)
        case .natTraversal:
            natTraversal = try Self.natTraversal(&value, sentBy: sender)
        case .addressDiscovery:
            let raw = try Self.integer(id, &value)
            guard let mode = AddressDiscoveryMode(rawValue: raw) else { throw Self.invalid(id, "value \(raw) is not 0, 1 or 2") }
            addressDiscovery = mode
        default:
            // RFC 9000 §18.1: reserved ids exist to be ignored; §7.4.2: unknown ones are ignored too.
            if !id.isReserved {
                unknown[id.rawValue] = value.readRemaining()
            }
        }
    }

    // MARK: - Value readers

    /// A varint filling the whole value, within `atLeast...atMost`.
    private static func integer(_ id: TransportParameterID, _ value: inout ByteReader, atLeast minimum: UInt64 = 0,
                                atMost maximum: UInt64 = VarInt.max) throws(QUICWireError) -> UInt64 {
        let number = try value.readVarInt()
        guard value.isAtEnd else { throw invalid(id, "value longer than its varint") }
        guard number >= minimum, number <= maximum else { throw invalid(id, "value \(number) out of range") }
        return number
    }

    /// draft-seemann-quic-nat-traversal-02 §4.5: a client's value is empty; a server's is one varint > 0.
    private static func natTraversal(_ value: inout ByteReader,
                                     sentBy sender: EndpointRole) throws(QUICWireError) -> NATTraversalParameter {
        let id = TransportParameterID.natTraversal
        switch sender {
        case .client:
            guard value.isAtEnd else { throw invalid(id, "a client's value must be empty") }
            return .client
        case .server:
            let limit = try integer(id, &value, atLeast: 1)
            return .server(concurrencyLimit: limit)
        }
    }

    /// A connection ID filling the whole value (0...20 bytes).
    private static func connectionID(_ id: TransportParameterID, _ value: inout ByteReader) throws(QUICWireError) -> ConnectionID {
        guard value.remaining <= ConnectionID.maxLength else { throw invalid(id, "connection ID longer than 20 bytes") }
        return ConnectionID(unchecked: value.readRemaining())
    }

    /// RFC 9000 §18.2 Figure 22: IPv4 Address (32), IPv4 Port (16), IPv6 Address (128), IPv6 Port (16),
    /// Connection ID Length (8), Connection ID (..), Stateless Reset Token (128). The connection ID must
    /// not be empty.
    private static func validatePreferredAddress(_ value: ByteReader) throws(QUICWireError) {
        let id = TransportParameterID.preferredAddress
        guard value.remaining >= minimumPreferredAddressLength else { throw invalid(id, "too short") }
        var reader = value
        try reader.skip(4 + 2 + 16 + 2)
        let length = Int(try reader.readUInt8())
        guard length >= 1, length <= ConnectionID.maxLength else {
            throw invalid(id, "connection ID length \(length) outside 1...20")
        }
        guard reader.remaining == length + StatelessResetToken.length else {
            throw invalid(id, "length does not match its connection ID length")
        }
    }

    private static func invalid(_ id: TransportParameterID, _ reason: String) -> QUICWireError {
        QUICWireError(.transportParameterError, "transport parameter \(id): \(reason)")
    }
}

// MARK: - Writing helpers

extension Array where Element == UInt8 {
    /// Appends one parameter with a raw value.
    fileprivate mutating func appendParameter(_ id: TransportParameterID, bytes: [UInt8]) {
        appendVarInt(id.rawValue)
        appendVarInt(UInt64(bytes.count))
        append(contentsOf: bytes)
    }

    /// Appends one integer parameter unless it equals `defaultValue`.
    fileprivate mutating func appendParameter(_ id: TransportParameterID, integer: UInt64, unless defaultValue: UInt64?) {
        guard integer != defaultValue else { return }
        appendVarInt(id.rawValue)
        appendVarInt(UInt64(VarInt.encodedLength(of: integer)))
        appendVarInt(integer)
    }
}
