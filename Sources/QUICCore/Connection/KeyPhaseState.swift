public import NIOCore
import QUICCrypto

/// 1-RTT key phases (RFC 9001 §6): the current keys live in the application space's sealer/opener; this
/// keeps the phase bit, the precomputed next keys, the previous receive keys for reordered packets, and what
/// decides when we may initiate an update.
struct KeyPhaseState: Sendable {
    /// The Key Phase bit of our current keys (RFC 9001 §6.1: it starts at 0).
    var phase = false
    /// Keys of the next phase, derived ahead of time ("quic ku", RFC 9001 §6.1).
    var nextSealer: PacketProtector?
    var nextOpener: PacketProtector?
    /// Receive keys of the previous phase, kept for reordered packets until `previousOpenerExpiry`
    /// (RFC 9001 §6.5: at least three PTOs after the update).
    var previousOpener: PacketProtector?
    var previousOpenerExpiry: NIODeadline?
    /// The first packet number we received, and sent, with the current keys.
    var firstReceived: UInt64?
    var firstSent: UInt64?
    /// RFC 9001 §6.1: a further update only after a packet of the current phase was acknowledged.
    var currentPhaseAcknowledged = false
    /// An update the application asked for before §6.1 allowed it; it starts as soon as it may.
    var updateRequested = false
    var packetsSentInPhase = 0
    /// Updates we started, and updates the peer started.
    var initiated = 0
    var responded = 0

    /// Derives the next phase's keys from the current ones.
    mutating func prepareNext(sealer: PacketProtector?, opener: PacketProtector?) {
        nextSealer = sealer.map { PacketProtector(keys: $0.keys.nextKeyPhase()) }
        nextOpener = opener.map { PacketProtector(keys: $0.keys.nextKeyPhase()) }
    }
}
