// MARK: - PacketKind

/// The packet types that carry frames, for frame legality (RFC 9000 §12.4, Table 3).
public enum PacketKind: Hashable, Sendable, CaseIterable {
    /// Initial packets.
    case initial
    /// 0-RTT packets.
    case zeroRTT
    /// Handshake packets.
    case handshake
    /// 1-RTT (short header) packets.
    case oneRTT
}

// MARK: - Legality

extension Frame {
    /// Which packet kinds may carry each frame type (RFC 9000 §12.4 Table 3 with the §12.5 / §17.2.3
    /// restrictions on 0-RTT; RFC 9221 §4 for DATAGRAM). Unknown types map to nothing.
    ///
    /// - Initial, Handshake: PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE of type 0x1c.
    /// - 0-RTT: everything except ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN, PATH_RESPONSE, RETIRE_CONNECTION_ID,
    ///   and (our choice, docs/protocol.md) the NAT traversal frames: a server must not probe addresses a
    ///   client named before the handshake proved the client's address and identity.
    /// - 1-RTT: everything.
    public static let allowedPacketKinds: [UInt64: Set<PacketKind>] = {
        var table: [UInt64: Set<PacketKind>] = [:]
        for type in FrameType.all {
            table[type] = Set(PacketKind.allCases.filter { isAllowed(frameType: type, in: $0) })
        }
        return table
    }()

    /// Whether a frame of `frameType` may appear in a packet of `kind`. A switch rather than a
    /// dictionary lookup: this runs for every received frame.
    public static func isAllowed(frameType: UInt64, in kind: PacketKind) -> Bool {
        switch kind {
        case .oneRTT:
            return FrameType.isKnown(frameType)
        case .initial, .handshake:
            switch frameType {
            case FrameType.padding, FrameType.ping, FrameType.ack, FrameType.ackECN, FrameType.crypto,
                 FrameType.connectionCloseTransport:
                return true
            default:
                return false
            }
        case .zeroRTT:
            switch frameType {
            case FrameType.ack, FrameType.ackECN, FrameType.crypto, FrameType.handshakeDone, FrameType.newToken,
                 FrameType.pathResponse, FrameType.retireConnectionID, FrameType.natTraversal:
                return false
            default:
                return FrameType.isKnown(frameType)
            }
        }
    }

    /// Whether this frame may appear in a packet of `kind` (RFC 9000 §12.4); a peer sending it in
    /// another kind commits a PROTOCOL_VIOLATION.
    @inlinable
    public func isAllowed(in kind: PacketKind) -> Bool {
        Frame.isAllowed(frameType: frameType, in: kind)
    }
}

// MARK: - Direction

extension Frame {
    /// Whether an endpoint of `role` may send a frame of `frameType`. The NAT traversal draft
    /// (draft-seemann-quic-nat-traversal-02 §4.6) gives ADD_ADDRESS and REMOVE_ADDRESS to the server and
    /// PUNCH_ME_NOW to the client; RFC 9000 §19.7 and §19.20 give NEW_TOKEN and HANDSHAKE_DONE to the
    /// server. Receiving a frame its sender may not send is a PROTOCOL_VIOLATION.
    public static func mayBeSent(frameType: UInt64, by role: EndpointRole) -> Bool {
        switch frameType {
        case FrameType.addAddressIPv4, FrameType.addAddressIPv6, FrameType.removeAddress,
             FrameType.newToken, FrameType.handshakeDone:
            return role == .server
        case FrameType.punchMeNowIPv4, FrameType.punchMeNowIPv6:
            return role == .client
        default:
            return true
        }
    }

    /// Whether an endpoint of `role` may send this frame.
    @inlinable
    public func mayBeSent(by role: EndpointRole) -> Bool {
        Frame.mayBeSent(frameType: frameType, by: role)
    }
}
