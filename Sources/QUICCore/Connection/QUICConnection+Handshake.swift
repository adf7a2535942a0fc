public import NIOCore
import QUICCrypto
import QUICTLS
public import QUICWire

extension QUICConnection {
    /// Moves everything BoringSSL produced into the connection: handshake bytes into CRYPTO streams,
    /// secrets into packet protection, completion into state (RFC 9001 §4.1).
    mutating func drainTLSOutputs(now: NIODeadline) throws(QUICWireError) {
        while let output = tls.pollOutput() {
            switch output {
            case .handshakeData(let level, let bytes):
                guard let space = level.packetNumberSpace else { continue }
                spaces[space].cryptoSend.write(bytes)
            case .readSecret(let level, let suite, let secret):
                guard let space = level.packetNumberSpace else { continue }
                spaces[space].opener = try Self.protector(suite: suite, secret: secret)
                if space == .applicationData { prepareNextKeyPhase() }
            case .writeSecret(let level, let suite, let secret):
                guard let space = level.packetNumberSpace else { continue }
                spaces[space].sealer = try Self.protector(suite: suite, secret: secret)
                if space == .applicationData { prepareNextKeyPhase() }
            case .handshakeComplete:
                try onHandshakeComplete(now: now)
            }
        }
        if peerTransportParameters == nil, let encoded = tls.peerTransportParameters {
            try applyPeerTransportParameters(encoded)
        }
    }

    private static func protector(suite: UInt16, secret: [UInt8]) throws(QUICWireError) -> PacketProtector {
        guard let cipherSuite = CipherSuite(rawValue: suite) else {
            throw QUICWireError(.crypto(alert: 40), "unsupported cipher suite 0x\(String(suite, radix: 16))")
        }
        do {
            return PacketProtector(keys: try PacketProtectionKeys(secret: secret, suite: cipherSuite))
        } catch {
            throw QUICWireError(.internalError, "cannot derive packet keys: \(error)")
        }
    }

    /// RFC 9000 §7.3, §7.4: decode and authenticate the peer's transport parameters, then apply them.
    private mutating func applyPeerTransportParameters(_ encoded: [UInt8]) throws(QUICWireError) {
        let peerRole: EndpointRole = role == .client ? .server : .client
        let parameters = try TransportParameters.decode(encoded, sentBy: peerRole)
        guard parameters.initialSourceConnectionID == peerInitialSourceConnectionID else {
            throw QUICWireError(.transportParameterError, "initial_source_connection_id does not match the packets")
        }
        if role == .client {
            guard parameters.originalDestinationConnectionID == originalDestinationConnectionID else {
                throw QUICWireError(.transportParameterError, "original_destination_connection_id mismatch")
            }
            guard parameters.retrySourceConnectionID == retrySourceConnectionID else {
                throw QUICWireError(.transportParameterError, "retry_source_connection_id mismatch")
            }
            peerStatelessResetToken = parameters.statelessResetToken
        }
        peerTransportParameters = parameters
        negotiateTraversalExtensions(parameters)
        streams.applyPeerTransportParameters(parameters)
        recovery.peerMaxAckDelay = .milliseconds(Int64(parameters.maxAckDelay))
        recovery.peerAckDelayExponent = parameters.ackDelayExponent
    }

    /// RFC 9001 §4.1.1 handshake complete; the server's handshake is also confirmed now (§4.1.2).
    private mutating func onHandshakeComplete(now: NIODeadline) throws(QUICWireError) {
        guard !handshakeComplete else { return }
        if peerTransportParameters == nil, let encoded = tls.peerTransportParameters {
            try applyPeerTransportParameters(encoded)
        }
        guard peerTransportParameters != nil else {
            throw QUICWireError(.crypto(alert: 109), "peer sent no transport parameters")
        }
        handshakeComplete = true
        if case .handshaking = state { state = .established }
        if role == .server {
            handshakeConfirmed = true
            pendingHandshakeDone = true
            // RFC 9001 §4.9.2: the server discards Handshake keys once the handshake is confirmed.
            discardKeys(.handshake)
            reportObservedAddressIfNeeded()
        }
        startIssuingConnectionIDs(now: now)
        emit(.connected)
        reportMaxDatagramPayloadIfChanged()
        armIdleTimer(now: now)
    }

    /// RFC 9001 §4.9: keys of a space are no longer needed.
    mutating func discardKeys(_ space: PacketNumberSpace) {
        guard !spaces[space].isDiscarded else { return }
        spaces[space].discard()
        recovery.discard(space: space)
    }

    /// The largest DATAGRAM payload we can send now (RFC 9221 §3), or nil when the peer accepts none.
    public var maxDatagramPayload: Int? {
        guard handshakeComplete, let peerMax = peerTransportParameters?.maxDatagramFrameSize, peerMax > 0 else {
            return nil
        }
        // A short-header packet: 1 flags byte, the peer's connection ID, up to 4 bytes of packet number and the
        // 16-byte AEAD tag; the DATAGRAM frame adds its type and a length of up to 2 bytes here.
        let maxPacket = min(path.maxUDPPayload, Int(clamping: peerTransportParameters?.maxUDPPayloadSize ?? 65527))
        let byPath = maxPacket - (1 + peerConnectionID.count + 4 + 16) - 3
        let byFrame = Int(clamping: peerMax) - 3
        return max(0, min(byPath, byFrame))
    }

    mutating func reportMaxDatagramPayloadIfChanged() {
        let current = maxDatagramPayload
        if lastReportedMaxDatagramPayload != .some(current) {
            lastReportedMaxDatagramPayload = .some(current)
            emit(.maxDatagramPayloadChanged(current))
        }
    }
}

extension TLSEncryptionLevel {
    /// The packet-number space whose packets carry this level (0-RTT is not supported: nil).
    var packetNumberSpace: PacketNumberSpace? {
        switch self {
        case .initial: return .initial
        case .handshake: return .handshake
        case .application: return .applicationData
        case .earlyData: return nil
        }
    }
}

extension PacketNumberSpace {
    var encryptionLevel: TLSEncryptionLevel {
        switch self {
        case .initial: return .initial
        case .handshake: return .handshake
        case .applicationData: return .application
        }
    }
}
