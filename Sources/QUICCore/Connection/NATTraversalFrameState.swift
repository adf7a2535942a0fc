public import QUICWire

/// The connection's side of draft-seemann-quic-nat-traversal-02 and draft-ietf-quic-address-discovery: what
/// was negotiated, the frames waiting to go out, and what arrived — bookkeeping only. Which addresses to
/// advertise, pair and probe is the application's policy (the `NATTraversal` target); QUICCore carries the
/// frames reliably and tells the application what the peer said.
///
/// Retransmission (docs/protocol.md, "Direct paths"): a lost ADD_ADDRESS is sent again while the address is
/// still advertised; a lost REMOVE_ADDRESS always; a lost PUNCH_ME_NOW while its round is the latest one; a lost
/// OBSERVED_ADDRESS while it is still the latest observation. Duplicates the peer receives because of this are
/// recognised by their sequence (or round) and reported once.
struct NATTraversalFrameState: Sendable {
    /// The peer's limit (client side: how many paths the server probes at once); nil until negotiated.
    var peerConcurrencyLimit: UInt64?
    /// Both sides sent nat_traversal.
    var isNegotiated = false
    /// The peer asked for OBSERVED_ADDRESS frames and we offered to provide them.
    var sendsObservedAddresses = false
    /// We asked for OBSERVED_ADDRESS frames and the peer offered to provide them.
    var receivesObservedAddresses = false

    // MARK: Sending
    /// Server: addresses we advertise, by sequence number.
    var advertised: [UInt64: FrameAddress] = [:]
    var nextAdvertisementSequence: UInt64 = 0
    /// Client: the latest round we sent PUNCH_ME_NOW frames for.
    var latestRound: UInt64?
    /// The latest observation we reported (its sequence and address).
    var latestObservation: (sequence: UInt64, address: FrameAddress)?
    var nextObservationSequence: UInt64 = 0
    /// Frames waiting for a packet, oldest first.
    var pending: [Frame] = []

    // MARK: Receiving
    /// Client: the server's advertisements we know (their sequence numbers), and those it withdrew — so that a
    /// retransmitted ADD_ADDRESS arriving after its REMOVE_ADDRESS does not bring the address back.
    var peerAdvertisements: Set<UInt64> = []
    var peerWithdrawals: Set<UInt64> = []
    /// Server: the latest round the client started, and the pairs of it already reported.
    var peerRound: UInt64?
    var peerRoundPunches: Set<PunchMeNowFrame> = []
    /// The latest OBSERVED_ADDRESS sequence number received.
    var latestObservedSequence: UInt64?

    /// How many advertisements, withdrawals and punches of one round we remember from the peer: more than any
    /// honest peer sends (our own side advertises at most a few dozen candidates), bounded so a peer cannot grow
    /// the connection's state. Frames beyond it are counted and ignored.
    static let peerEntryLimit = 128

    /// Frames this side sent that carry no information any more and are not retransmitted — a lost ADD_ADDRESS
    /// whose address was withdrawn, a PUNCH_ME_NOW of an older round, an older observation.
    func isStillUseful(_ frame: Frame) -> Bool {
        switch frame {
        case .addAddress(let add): return advertised[add.sequence] == add.address
        case .removeAddress: return true
        case .punchMeNow(let punch): return punch.round == latestRound
        case .observedAddress(let observed): return observed.sequence == latestObservation?.sequence
        default: return false
        }
    }
}
