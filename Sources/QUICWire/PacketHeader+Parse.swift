// MARK: - Parsing

extension PacketHeader {
    /// Parses the packet starting at `offset` of `datagram` as far as header protection allows.
    ///
    /// Short headers carry no DCID length, so the caller says how long its connection IDs are.
    /// Long headers of a version other than v1 throw with reason "unsupported version" (the caller reads
    /// the version with `peekVersion` and the IDs with `peekLongHeaderInvariants` to answer with Version
    /// Negotiation); version 0 parses as `.versionNegotiation`. All errors are PROTOCOL_VIOLATION: a
    /// malformed header means the packet is dropped (RFC 9000 §12.2, §17.2).
    public static func parse(datagram: [UInt8], at offset: Int,
                             shortHeaderConnectionIDLength: Int) throws(QUICWireError) -> PacketHeader {
        guard offset >= 0, offset < datagram.count else {
            throw QUICWireError(.protocolViolation, "no packet at offset \(offset)")
        }
        do {
            if datagram[offset] & longFormBit == 0 {
                return try parseShort(datagram: datagram, at: offset, connectionIDLength: shortHeaderConnectionIDLength)
            }
            return try parseLong(datagram: datagram, at: offset)
        } catch {
            // Reader truncation errors default to FRAME_ENCODING_ERROR; a header is not a frame.
            throw error.withCode(.protocolViolation)
        }
    }

    // MARK: - Short header (RFC 9000 §17.3.1)

    private static func parseShort(datagram: [UInt8], at offset: Int,
                                   connectionIDLength: Int) throws(QUICWireError) -> PacketHeader {
        guard connectionIDLength >= 0, connectionIDLength <= ConnectionID.maxLength else {
            throw QUICWireError(.protocolViolation, "invalid short header connection ID length")
        }
        guard datagram[offset] & fixedBit != 0 else {
            throw QUICWireError(.protocolViolation, "fixed bit is zero")
        }
        var reader = ByteReader(datagram, range: offset..<datagram.count)
        try reader.skip(1)
        let destination = ConnectionID(unchecked: try reader.readBytes(connectionIDLength))
        // At least one packet number byte must follow.
        guard !reader.isAtEnd else { throw QUICWireError.truncated("short header packet number") }
        return PacketHeader(form: .short, version: 0, destinationConnectionID: destination,
                            sourceConnectionID: .empty, packetStart: offset,
                            packetNumberOffset: reader.position, packetEnd: datagram.count)
    }

    // MARK: - Long header (RFC 9000 §17.2, RFC 8999 §5.1)

    private static func parseLong(datagram: [UInt8], at offset: Int) throws(QUICWireError) -> PacketHeader {
        var reader = ByteReader(datagram, range: offset..<datagram.count)
        let first = try reader.readUInt8()
        let version = try reader.readUInt32()
        let destination = try readConnectionID(&reader)
        let source = try readConnectionID(&reader)

        if version == QUICVersion.negotiation {
            return try parseVersionNegotiation(reader: &reader, start: offset, destination: destination, source: source)
        }
        guard version == QUICVersion.v1 else {
            throw QUICWireError(.protocolViolation, "unsupported version")
        }
        guard first & fixedBit != 0 else {
            throw QUICWireError(.protocolViolation, "fixed bit is zero")
        }

        let form: Form
        switch LongPacketType(rawValue: (first & longPacketTypeMask) >> 4) {
        case .initial:
            let tokenLength = try reader.readVarInt()
            form = .initial(token: try reader.readBytes(tokenLength))
        case .zeroRTT:
            form = .zeroRTT
        case .handshake:
            form = .handshake
        case .retry, .none:
            // RFC 9000 §17.2.5: the token runs to the integrity tag, which ends the datagram.
            guard reader.remaining >= retryIntegrityTagLength else {
                throw QUICWireError.truncated("retry integrity tag")
            }
            let token = try reader.readBytes(reader.remaining - retryIntegrityTagLength)
            let tag = reader.readRemaining()
            return PacketHeader(form: .retry(token: token, integrityTag: tag), version: version,
                                destinationConnectionID: destination, sourceConnectionID: source,
                                packetStart: offset, packetNumberOffset: datagram.count, packetEnd: datagram.count)
        }

        // RFC 9000 §17.2: Length covers the packet number and payload; it must fit in the datagram,
        // and a packet number is at least one byte.
        let length = try reader.readVarInt()
        guard length >= 1 else {
            throw QUICWireError(.protocolViolation, "long header Length is zero")
        }
        guard length <= UInt64(reader.remaining) else {
            throw QUICWireError(.protocolViolation, "long header Length \(length) exceeds \(reader.remaining) bytes")
        }
        let packetNumberOffset = reader.position
        return PacketHeader(form: form, version: version, destinationConnectionID: destination,
                            sourceConnectionID: source, packetStart: offset,
                            packetNumberOffset: packetNumberOffset, packetEnd: packetNumberOffset + Int(length))
    }

    /// RFC 9000 §17.2.1: the rest of the datagram is a list of 32-bit versions.
    private static func parseVersionNegotiation(reader: inout ByteReader, start: Int, destination: ConnectionID,
                                                source: ConnectionID) throws(QUICWireError) -> PacketHeader {
        guard reader.remaining % 4 == 0 else {
            throw QUICWireError(.protocolViolation, "version negotiation list is not a multiple of 4 bytes")
        }
        var versions: [UInt32] = []
        versions.reserveCapacity(reader.remaining / 4)
        while !reader.isAtEnd {
            versions.append(try reader.readUInt32())
        }
        let end = reader.position
        return PacketHeader(form: .versionNegotiation(supportedVersions: versions), version: QUICVersion.negotiation,
                            destinationConnectionID: destination, sourceConnectionID: source,
                            packetStart: start, packetNumberOffset: end, packetEnd: end)
    }

    /// A length-prefixed connection ID of at most 20 bytes (RFC 9000 §17.2: longer ones are dropped).
    private static func readConnectionID(_ reader: inout ByteReader) throws(QUICWireError) -> ConnectionID {
        let length = Int(try reader.readUInt8())
        guard length <= ConnectionID.maxLength else {
            throw QUICWireError(.protocolViolation, "connection ID longer than 20 bytes")
        }
        return ConnectionID(unchecked: try reader.readBytes(length))
    }

    // MARK: - Peeking (RFC 8999 invariants)

    /// The version of a long-header packet at the start of `datagram`; nil for short headers or when
    /// fewer than five bytes are present.
    public static func peekVersion(datagram: [UInt8]) -> UInt32? {
        guard datagram.count >= 5, datagram[0] & longFormBit != 0 else { return nil }
        return UInt32(datagram[1]) << 24 | UInt32(datagram[2]) << 16 | UInt32(datagram[3]) << 8 | UInt32(datagram[4])
    }

    /// The destination connection ID of the first packet of a datagram, for routing, without full
    /// parsing. Nil when truncated or longer than 20 bytes.
    public static func peekDestinationConnectionID(datagram: [UInt8], shortHeaderConnectionIDLength: Int) -> ConnectionID? {
        guard let first = datagram.first else { return nil }
        if first & longFormBit == 0 {
            let length = shortHeaderConnectionIDLength
            guard length >= 0, length <= ConnectionID.maxLength, datagram.count >= 1 + length else { return nil }
            return ConnectionID(unchecked: Array(datagram[1..<(1 + length)]))
        }
        return peekLongHeaderInvariants(datagram: datagram)?.destinationConnectionID
    }

    /// Version and both connection IDs of a long-header packet at the start of `datagram` (RFC 8999
    /// §5.1), for any version: what a server needs to answer with Version Negotiation.
    /// Nil for short headers, truncated input, or IDs longer than 20 bytes.
    public static func peekLongHeaderInvariants(datagram: [UInt8]) -> LongHeaderInvariants? {
        guard let version = peekVersion(datagram: datagram) else { return nil }
        var reader = ByteReader(datagram, range: 5..<datagram.count)
        guard let destination = try? readConnectionID(&reader),
              let source = try? readConnectionID(&reader) else { return nil }
        return LongHeaderInvariants(version: version, destinationConnectionID: destination, sourceConnectionID: source)
    }
}
