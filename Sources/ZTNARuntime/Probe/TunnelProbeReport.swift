/// The result of a `ztna probe` run: what was sent and came back, whether it verified, and the measurements
/// asked for. `Codable` (one JSON object with `--json`; durations in milliseconds) and `description` for the
/// short human report. Sections not asked for (`rtt`, `handshakeMilliseconds`, `burst`, `maxSize`) are nil.
public struct TunnelProbeReport: Sendable, Hashable, Codable {
    /// Where the probe packets went.
    public struct Target: Sendable, Hashable, Codable {
        public var service: String
        public var virtualIP: String
        public var port: Int
        public var tunnelAddress: String
        public var sourcePort: Int
    }

    /// Packets that were ours but not clean, and packets that were not ours at all.
    public struct Anomalies: Sendable, Hashable, Codable {
        /// Extra replies to packets already answered.
        public var duplicates: Int
        /// Replies whose bytes differ from what was sent (wrong pattern or size, or too short to be a probe).
        public var corrupted: Int
        /// Replies naming a sequence number that was never sent.
        public var unexpected: Int
        /// Packets on the tunnel that were not replies to this probe, by reason (`ProbeReplyMatcher.ForeignReason`).
        public var foreign: [String: Int]
    }

    /// `--burst`: packets sent back to back and how many came back within the timeout.
    public struct Burst: Sendable, Hashable, Codable {
        public var sent: Int
        public var received: Int
        public var lossPercent: Double
    }

    /// One packet of the `--query-max-size` check.
    public struct SizeCheck: Sendable, Hashable, Codable {
        /// UDP payload bytes.
        public var size: Int
        public var sent: Bool
        /// An intact reply came back (always false for a packet not sent).
        public var echoed: Bool
        /// The tunnel refused it locally as larger than it can carry (`QUICDatagramError.tooLarge`).
        public var refusedLocally: Bool
        public var error: String?
    }

    /// `--query-max-size`: the tunnel's DATAGRAM limit, the UDP payload it leaves, and the two checks.
    public struct MaxSize: Sendable, Hashable, Codable {
        /// The largest DATAGRAM payload the tunnel sends now (RFC 9221 §3); nil when unknown.
        public var maxDatagramPayload: Int?
        /// `maxDatagramPayload` minus the IP (IPv4 20 / IPv6 40) and UDP (8) headers.
        public var maxUDPPayload: Int?
        public var atMaximum: SizeCheck?
        public var oneLarger: SizeCheck?
        /// The packet at the maximum was sent (and echoed, with `--verify-echo`) and the one a byte larger refused.
        public var passed: Bool
    }

    /// First entries of a sequence-number list in the report (the counts are always complete).
    public static let listedSequencesLimit = 100

    public var target: Target
    /// UDP payload bytes per packet, pattern, interval and timeout (milliseconds), as run.
    public var size: Int
    public var pattern: ProbePattern
    public var intervalMilliseconds: Double
    public var timeoutMilliseconds: Double
    /// Every packet sent: paced, burst and the `--query-max-size` packet.
    public var sent: Int
    /// Sent packets with at least one reply.
    public var received: Int
    public var lost: Int
    public var lossPercent: Double
    public var anomalies: Anomalies
    /// Whether `--verify-echo` was asked.
    public var verifyEcho: Bool
    /// Sequence numbers without a reply, with more than one, and with a corrupted one (the first
    /// `listedSequencesLimit` of each).
    public var missingSequences: [UInt64]
    public var duplicatedSequences: [UInt64]
    public var corruptedSequences: [UInt64]
    public var rtt: ProbeRTTSummary?
    /// `--measure-handshake`: start → tunnel established (relay handshake, registration, a connector
    /// available, tunnel handshake).
    public var handshakeMilliseconds: Double?
    public var burst: Burst?
    public var maxSize: MaxSize?
    /// The tunnel's path when the run ended — what the answers came over (DESIGN.md §6); nil if it was gone.
    public var path: TunnelPathReport? = nil
    /// The tunnel connection's own losses during the run: DATAGRAMs it dropped (RFC 9221: never resent) and
    /// QUIC packets declared lost.
    public var datagramsDropped: Int? = nil
    public var packetsLost: Int? = nil
    /// Why sending stopped early, if it did.
    public var errors: [String]
    /// Everything asked was verified (exit status 0); otherwise `failures` says what was not (exit status 1).
    public var passed: Bool
    public var failures: [String]

    /// The process exit status for this report: 0 passed, 1 verification failed.
    public var exitCode: Int32 { passed ? 0 : 1 }
}
