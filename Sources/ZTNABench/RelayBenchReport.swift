/// The figures of one `ztna bench relay` run (DESIGN.md §12, issue 4), as measured — nothing is extrapolated.
/// Encodes to the one-line JSON of `--json`; `table` is the human-readable form.
public struct RelayBenchReport: Sendable, Codable {
    /// Cores of this machine (the relay and the load generator share them).
    public var cores: Int
    /// The relay's Retry policy during the run.
    public var retry: String
    public var forwarding: [Forwarding] = []
    public var latency: Latency?
    public var idle: [Idle] = []
    public var handshakes: Handshakes?
    /// Phases that failed, with the reason (their figures are absent).
    public var errors: [String] = []

    public init(cores: Int, retry: String) {
        self.cores = cores
        self.retry = retry
    }

    // MARK: - Targets (issue 4, for this 2-core machine)

    public enum Targets {
        /// Relayed DATAGRAMs (both directions) per relay CPU-second, at 1200-byte payloads.
        public static let forwardedPerRelayCore = 190_000.0
        /// The payload size the forwarding target applies to.
        public static let forwardingTargetSize = 1200
        /// Relay RSS per idle, registered connection, in KiB.
        public static let idleKiBPerConnection = 32.0
        /// Handshakes accepted per second.
        public static let handshakesPerSecond = 2_000.0
    }

    /// Whether a measured value meets its target.
    public enum Verdict: String, Sendable, Codable {
        case pass = "PASS"
        case below = "BELOW"

        init(_ met: Bool) { self = met ? .pass : .below }
    }

    // MARK: - Phases

    /// Relayed DATAGRAMs per second for one payload size: agents → relay → connectors → relay → agents.
    public struct Forwarding: Sendable, Codable {
        public var requestedPayloadBytes: Int
        /// The payload actually carried: the requested one, or the largest that fits the relay's packets.
        public var payloadBytes: Int
        public var pairs: Int
        public var window: Int
        /// Measured wall-clock seconds.
        public var seconds: Double
        /// Datagrams that arrived at connectors / back at agents during the window (each was forwarded once).
        public var toConnectors: Int
        public var toAgents: Int
        public var forwardedPerSecond: Double
        /// The relay process's user + system CPU seconds during the window.
        public var relayCPUSeconds: Double
        /// Forwarded datagrams per relay CPU-second: the rate one fully busy relay core would sustain.
        public var forwardedPerRelayCPUSecond: Double?
        /// `ztna_relayed_datagrams_total` growth over the phase (warm-up and drain included) …
        public var relayCounted: Int
        /// … and what the bench received over the same span.
        public var benchCounted: Int
        /// `ztna_drops_total` growth by reason.
        public var relayDrops: [String: Int]
        /// Windows presumed lost and refilled by agents during the measured window.
        public var stallRefills: Int
        /// QUIC packets per second the relay received from / sent to the clients (DATAGRAM frames of small
        /// payloads share packets; ACK-only packets are included).
        public var relayPacketsInPerSecond: Double
        public var relayPacketsOutPerSecond: Double
        /// CPU seconds of the load generator (this process: agents and connectors) during the window.
        public var loadGeneratorCPUSeconds: Double
        /// CPU seconds every other process of the machine used during the window (nil: unknown). Other load
        /// takes cores from the relay and the load generator: rates drop, per-core figures much less.
        public var otherCPUSeconds: Double?
        public var target: Double?
        public var verdict: Verdict?

        init(requestedPayloadBytes: Int, payloadBytes: Int, pairs: Int, window: Int, seconds: Double,
             toConnectors: Int, toAgents: Int, forwardedPerSecond: Double, relayCPUSeconds: Double,
             forwardedPerRelayCPUSecond: Double?, relayCounted: Int, benchCounted: Int, relayDrops: [String: Int],
             stallRefills: Int, relayPacketsInPerSecond: Double, relayPacketsOutPerSecond: Double,
             loadGeneratorCPUSeconds: Double, otherCPUSeconds: Double?) {
            self.requestedPayloadBytes = requestedPayloadBytes
            self.payloadBytes = payloadBytes
            self.pairs = pairs
            self.window = window
            self.seconds = seconds
            self.toConnectors = toConnectors
            self.toAgents = toAgents
            self.forwardedPerSecond = forwardedPerSecond
            self.relayCPUSeconds = relayCPUSeconds
            self.forwardedPerRelayCPUSecond = forwardedPerRelayCPUSecond
            self.relayCounted = relayCounted
            self.benchCounted = benchCounted
            self.relayDrops = relayDrops
            self.stallRefills = stallRefills
            self.relayPacketsInPerSecond = relayPacketsInPerSecond
            self.relayPacketsOutPerSecond = relayPacketsOutPerSecond
            self.loadGeneratorCPUSeconds = loadGeneratorCPUSeconds
            self.otherCPUSeconds = otherCPUSeconds
            if requestedPayloadBytes == Targets.forwardingTargetSize {
                target = Targets.forwardedPerRelayCore
                verdict = Verdict((forwardedPerRelayCPUSecond ?? 0) >= Targets.forwardedPerRelayCore)
            }
        }
    }

    /// Sequential echo round trips through the relay vs. straight to a QUIC echo server.
    public struct Latency: Sendable, Codable {
        public var echoes: Int
        public var payloadBytes: Int
        public var relayedMedianMicroseconds: Double?
        public var relayedP99Microseconds: Double?
        public var directMedianMicroseconds: Double?
        public var directP99Microseconds: Double?
        public var relayedLost: Int
        public var directLost: Int

        init(echoes: Int, payloadBytes: Int, relayedMedianMicroseconds: Double, relayedP99Microseconds: Double,
             directMedianMicroseconds: Double, directP99Microseconds: Double, relayedLost: Int, directLost: Int) {
            self.echoes = echoes
            self.payloadBytes = payloadBytes
            self.relayedMedianMicroseconds = relayedMedianMicroseconds.finiteOrNil
            self.relayedP99Microseconds = relayedP99Microseconds.finiteOrNil
            self.directMedianMicroseconds = directMedianMicroseconds.finiteOrNil
            self.directP99Microseconds = directP99Microseconds.finiteOrNil
            self.relayedLost = relayedLost
            self.directLost = directLost
        }
    }

    /// Relay RSS growth for `connections` idle, registered agent connections.
    public struct Idle: Sendable, Codable {
        public var connections: Int
        public var rssBeforeKiB: Int
        public var rssAfterKiB: Int
        public var perConnectionKiB: Double
        /// `ztna_connections{role="agent"}` after opening (warm-up connections included).
        public var relayAgentConnections: Int
        public var openSeconds: Double
        public var target = Targets.idleKiBPerConnection
        public var verdict: Verdict

        init(connections: Int, rssBeforeKiB: Int, rssAfterKiB: Int, perConnectionKiB: Double,
             relayAgentConnections: Int, openSeconds: Double) {
            self.connections = connections
            self.rssBeforeKiB = rssBeforeKiB
            self.rssAfterKiB = rssAfterKiB
            self.perConnectionKiB = perConnectionKiB
            self.relayAgentConnections = relayAgentConnections
            self.openSeconds = openSeconds
            verdict = Verdict(perConnectionKiB <= Targets.idleKiBPerConnection)
        }
    }

    /// Full mTLS handshakes accepted (certificate verified, client admitted) per second.
    public struct Handshakes: Sendable, Codable {
        public var concurrency: Int
        public var seconds: Double
        public var completed: Int
        public var perSecond: Double
        public var relayCPUSeconds: Double
        public var perRelayCPUSecond: Double?
        /// Handshakes the bench saw fail or time out inside the window.
        public var clientFailures: Int
        /// `ztna_handshake_failures_total` growth.
        public var relayHandshakeFailures: Int
        /// `ztna_retry_total{outcome="sent"}` growth: clients asked to prove their address first.
        public var retriesSent: Int
        /// CPU seconds of the load generator (this process: the clients' side of every handshake).
        public var loadGeneratorCPUSeconds: Double
        /// CPU seconds every other process of the machine used during the window (nil: unknown).
        public var otherCPUSeconds: Double?
        public var target = Targets.handshakesPerSecond
        public var verdict: Verdict

        init(concurrency: Int, seconds: Double, completed: Int, perSecond: Double, relayCPUSeconds: Double,
             perRelayCPUSecond: Double?, clientFailures: Int, relayHandshakeFailures: Int, retriesSent: Int,
             loadGeneratorCPUSeconds: Double, otherCPUSeconds: Double?) {
            self.concurrency = concurrency
            self.seconds = seconds
            self.completed = completed
            self.perSecond = perSecond
            self.relayCPUSeconds = relayCPUSeconds
            self.perRelayCPUSecond = perRelayCPUSecond
            self.clientFailures = clientFailures
            self.relayHandshakeFailures = relayHandshakeFailures
            self.retriesSent = retriesSent
            self.loadGeneratorCPUSeconds = loadGeneratorCPUSeconds
            self.otherCPUSeconds = otherCPUSeconds
            verdict = Verdict(perSecond >= Targets.handshakesPerSecond)
        }
    }
}

extension Double {
    /// nil for NaN and infinities (JSON has no encoding for them; an empty sample set gives NaN).
    var finiteOrNil: Double? { isFinite ? self : nil }
}
