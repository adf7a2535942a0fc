public import QUICCrypto
public import QUICWire

/// The state of one packet-number space (RFC 9000 §12.3): packet numbers, keys, received packets and the
/// CRYPTO stream of its encryption level.
struct PacketSpace: Sendable {
    let space: PacketNumberSpace
    var nextPacketNumber: UInt64 = 0
    var received = ReceivedPacketTracker()
    var cryptoSend = SendStreamBuffer()
    var cryptoReceive = ReceiveStreamBuffer()
    var sealer: PacketProtector?
    var opener: PacketProtector?
    /// Keys were discarded (RFC 9001 §4.9): nothing more is sent or accepted in this space.
    var isDiscarded = false
    /// Ack-eliciting probes to send after a PTO (RFC 9002 §6.2.4).
    var probesPending = 0

    init(space: PacketNumberSpace) { self.space = space }

    var canSend: Bool { sealer != nil && !isDiscarded }

    /// RFC 9001 §4.9: forget the keys and everything that was waiting to be sent in this space.
    mutating func discard() {
        isDiscarded = true
        sealer = nil
        opener = nil
        cryptoSend = SendStreamBuffer()
        cryptoReceive = ReceiveStreamBuffer()
        probesPending = 0
    }
}

/// The three spaces, indexed by `PacketNumberSpace` (STYLE.md: typed indices).
struct PacketSpaces: Sendable {
    private var storage = [PacketSpace(space: .initial), PacketSpace(space: .handshake),
                           PacketSpace(space: .applicationData)]

    subscript(space: PacketNumberSpace) -> PacketSpace {
        get { storage[space.rawValue] }
        _modify { yield &storage[space.rawValue] }
    }
}
