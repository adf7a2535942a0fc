public import NIOCore
import QUICCrypto
import QUICTLS
public import QUICWire

extension QUICEndpoint {
    // MARK: - New connections (RFC 9000 §7, §8.1)

    /// A long-header datagram for no known connection: Version Negotiation, Retry, or a new connection.
    mutating func handleUnroutedLongHeader(_ datagram: [UInt8], from remote: PathAddress, now: NIODeadline) {
        guard let version = PacketHeader.peekVersion(datagram: datagram) else {
            statistics.drop(.unparseable)
            return
        }
        guard version == QUICVersion.v1 else {
            // RFC 9000 §6.1: answer unknown versions (in datagrams big enough to be an Initial) with the
            // versions we speak; never answer a Version Negotiation packet (version 0).
            guard version != 0, datagram.count >= 1200, configuration.server != nil else {
                statistics.drop(.unsupportedVersion)
                return
            }
            sendVersionNegotiation(answering: datagram, to: remote)
            return
        }
        guard let serverConfiguration = configuration.server else {
            statistics.drop(.notAServer)
            return
        }
        let header: PacketHeader
        do {
            header = try PacketHeader.parse(datagram: datagram, at: 0,
                                            shortHeaderConnectionIDLength: configuration.connectionIDLength)
        } catch {
            statistics.drop(.unparseable)
            return
        }
        guard case .initial(let token) = header.form else {
            statistics.drop(.unknownConnection)
            return
        }
        // RFC 9000 §14.1: a server MUST discard an Initial in a datagram smaller than 1200 bytes.
        guard datagram.count >= 1200 else {
            statistics.drop(.tooSmallInitial)
            return
        }
        // RFC 9000 §7.2: the client's first Destination Connection ID is at least 8 bytes.
        guard header.destinationConnectionID.count >= 8 else {
            statistics.drop(.shortConnectionID)
            return
        }
        guard connections.count < configuration.maxConnections else {
            statistics.drop(.connectionLimit)
            return
        }

        var originalDestination = header.destinationConnectionID
        var retrySource: ConnectionID?
        var addressValidated = false
        if !token.isEmpty {
            guard let validated = validateRetryToken(token, from: remote, destination: header.destinationConnectionID,
                                                     now: now) else {
                // RFC 9000 §8.1.3: an invalid token; the client would fail again, so drop it.
                statistics.retryTokensRejected += 1
                statistics.drop(.invalidToken)
                return
            }
            statistics.retryTokensValidated += 1
            originalDestination = validated
            retrySource = header.destinationConnectionID
            addressValidated = true
        }
        switch admission.decide(from: remote, hasValidToken: addressValidated, policy: configuration.retry,
                                maxPerAddress: configuration.maxHandshakesPerAddress, now: now) {
        case .accept:
            break
        case .retry:
            sendRetry(answering: header, to: remote, now: now)
            return
        case .drop:
            statistics.drop(.handshakesPerAddress)
            return
        }

        var connectionConfiguration = serverConfiguration
        connectionConfiguration.connectionIDLength = configuration.connectionIDLength
        let localID = newConnectionID()
        let connection: QUICConnection
        do {
            connection = try QUICConnection(
                serverWith: connectionConfiguration, remote: remote, originalDestinationConnectionID: originalDestination,
                clientConnectionID: header.sourceConnectionID, localConnectionID: localID,
                retrySourceConnectionID: retrySource, resetTokens: resetTokens, addressValidated: addressValidated,
                random: QUICRandom(seed: random.bytes(32)), now: now)
        } catch {
            statistics.drop(.tlsSetupFailed)
            return
        }
        let handle = insert(connection)
        // The client keeps using the Destination Connection ID it chose until it sees ours.
        routes[header.destinationConnectionID] = handle
        extraRoutes[handle, default: []].append(header.destinationConnectionID)
        statistics.connectionsAccepted += 1
        admission.started(handle, from: remote, now: now)
        statistics.handshakesInProgress = admission.handshakesInProgress
        events.append(.accepted(handle))
        mutate(handle) { $0.handle(datagram: datagram, from: remote, now: now) }
    }

    // MARK: - Version Negotiation (RFC 9000 §6.1, §17.2.1)

    private mutating func sendVersionNegotiation(answering datagram: [UInt8], to remote: PathAddress) {
        guard let header = PacketHeader.peekLongHeaderInvariants(datagram: datagram) else {
            statistics.drop(.unparseable)
            return
        }
        let packet = PacketHeaderBuilder.versionNegotiation(
            destination: header.sourceConnectionID, source: header.destinationConnectionID, versions: [QUICVersion.v1],
            randomFirstByte: UInt8(truncatingIfNeeded: random.next()))
        statistics.versionNegotiationsSent += 1
        statelessTransmits.append(QUICTransmit(destination: remote, payload: packet))
    }

    // MARK: - Retry (RFC 9000 §8.1.2, §17.2.5)

    private mutating func sendRetry(answering header: PacketHeader, to remote: PathAddress, now: NIODeadline) {
        let retrySource = newConnectionID()
        let token = makeRetryToken(originalDestination: header.destinationConnectionID, retrySource: retrySource,
                                   for: remote, now: now)
        let withoutTag = PacketHeaderBuilder.retryWithoutTag(
            version: QUICVersion.v1, destination: header.sourceConnectionID, source: retrySource, token: token,
            randomBits: UInt8(truncatingIfNeeded: random.next()))
        let tag = RetryIntegrity.tag(retryPacketWithoutTag: withoutTag,
                                     originalDestinationConnectionID: header.destinationConnectionID.bytes)
        statistics.retriesSent += 1
        statelessTransmits.append(QUICTransmit(destination: remote, payload: withoutTag + tag))
    }

    /// Token = AEAD(issued-at ‖ ODCID ‖ Retry SCID), bound to the client's address as associated data, so
    /// it cannot be used from another address, for another connection, or after its lifetime.
    private mutating func makeRetryToken(originalDestination: ConnectionID, retrySource: ConnectionID,
                                         for remote: PathAddress, now: NIODeadline) -> [UInt8] {
        var plaintext: [UInt8] = []
        plaintext.appendUInt64(now.uptimeNanoseconds)
        plaintext.append(UInt8(originalDestination.count))
        plaintext.append(contentsOf: originalDestination.bytes)
        plaintext.append(UInt8(retrySource.count))
        plaintext.append(contentsOf: retrySource.bytes)
        return tokenSealer.seal(plaintext, associatedData: remote.tokenBinding, nonce: random.bytes(12))
    }

    /// Returns the original Destination Connection ID if the token is authentic, fresh, from this address,
    /// and was issued for the connection ID the client now uses.
    private func validateRetryToken(_ token: [UInt8], from remote: PathAddress, destination: ConnectionID,
                                    now: NIODeadline) -> ConnectionID? {
        guard let plaintext = try? tokenSealer.open(token, associatedData: remote.tokenBinding) else { return nil }
        var reader = ByteReader(plaintext)
        guard let issued = try? reader.readUInt64(),
              let odcidLength = try? reader.readUInt8(), let odcid = try? reader.readBytes(Int(odcidLength)),
              let rscidLength = try? reader.readUInt8(), let rscid = try? reader.readBytes(Int(rscidLength)),
              reader.isAtEnd else { return nil }
        let lifetime = UInt64(max(0, configuration.retryTokenLifetime.nanoseconds))
        let nowNanos = now.uptimeNanoseconds
        guard issued <= nowNanos, nowNanos - issued <= lifetime else { return nil }
        guard rscid == destination.bytes else { return nil }
        return ConnectionID(odcid)
    }

    // MARK: - Stateless reset (RFC 9000 §10.3)

    /// Answers a short-header packet for an unknown connection with a stateless reset, smaller than the
    /// packet that triggered it (no loops, §10.3.3) and at most 100 per second (no amplification).
    mutating func sendStatelessReset(answering datagram: [UInt8], destination: ConnectionID, to remote: PathAddress,
                                     now: NIODeadline) {
        statistics.drop(.unknownConnection)
        let size = min(datagram.count - 1, 43)
        guard size >= 21 else { return }
        let second = Int64(now.uptimeNanoseconds / 1_000_000_000)
        if resetBudget.second != second { resetBudget = (second, 0) }
        guard resetBudget.used < 100 else { return }
        resetBudget.used += 1
        var packet = random.bytes(size - 16)
        packet[0] = 0x40 | (packet[0] & 0x3f)
        packet += resetTokens.token(for: destination.bytes)
        statistics.statelessResetsSent += 1
        statelessTransmits.append(QUICTransmit(destination: remote, payload: packet))
    }
}
