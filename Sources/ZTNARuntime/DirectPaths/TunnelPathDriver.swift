import Logging
import NATTraversal
import NIOCore
import QUICCore
import QUICNIO
import TunnelTraversal
import ZTNAProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The runtime shell of one tunnel's NAT traversal session (DESIGN.md §6): it hands the session every path
/// and traversal event of the connection, fires its timer on the event loop, and notices when the path changes
/// (one info log line with the reason, the metrics, the per-path byte counts). Loop-confined: every method runs
/// on the connection's event loop.
final class TunnelPathDriver<Session: TunnelTraversalSession> {
    private(set) var session: Session
    let connection: QUICNIOConnection
    private let logger: Logger
    private let metrics: DirectPathMetrics
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var closed = false
    private var reportedPath: TraversalPath
    private(set) var since = Date()
    private(set) var pathChanges = 0
    /// The relayed path (the route the tunnel came up on, or moved to with a relay failover).
    var relayedPath: PathAddress?
    private var bytes = PathBytes()
    /// Called on the loop after each path change (the agent closes a tunnel whose direct path failed while the
    /// relay says no connector serves its service).
    var onPathChange: ((TraversalPath) -> Void)?
    /// The service the tunnel carries.
    let service: ServiceID
    private var attemptsSeen = (succeeded: 0, failed: 0)

    init(session: Session, service: ServiceID, connection: QUICNIOConnection, metrics: DirectPathMetrics,
         logger: Logger) {
        self.session = session
        self.service = service
        self.connection = connection
        self.metrics = metrics
        self.logger = logger
        reportedPath = session.path
        relayedPath = connection.remoteAddressOnLoop
        metrics.tunnelOpened(direct: false)
    }

    /// Starts listening to the connection and offers the first candidates.
    func start(candidates: [Candidate]) {
        connection.setConnectionEventObserverOnLoop { [self] event in
            update { session, connection, now in session.handle(event, connection: &connection, now: now) }
        }
        setCandidates(candidates)
    }

    func setCandidates(_ candidates: [Candidate]) {
        update { session, connection, now in session.setLocalCandidates(candidates, connection: &connection, now: now) }
    }

    /// Runs `body` on the session and the connection, then re-arms the timer and reports a path change.
    func update(_ body: (inout Session, inout QUICConnection, NIODeadline) -> Void) {
        guard !closed else { return }
        let now = NIODeadline.now()
        var session = self.session
        let done: Void? = connection.withCoreOnLoop { connection in body(&session, &connection, now) }
        self.session = session
        guard done != nil else { return stop() }
        notePathChange()
        noteAttempts()
        rearm()
    }

    /// The connection closed: no more timers; the metrics forget the tunnel.
    func stop() {
        guard !closed else { return }
        closed = true
        timer?.cancel()
        timer = nil
        connection.setConnectionEventObserverOnLoop(nil)
        metrics.tunnelClosed(direct: reportedPath.isDirect)
    }

    // MARK: - Status

    /// Where the tunnel is, with per-path RTT and bytes (`/api/v1/status`, DESIGN.md §6 "Explainability").
    /// - Parameter relay: the relay carrying the relayed path (`host:port`), the `remote` while relayed.
    func report(relay: String?) -> TunnelPathReport {
        sampleBytes()
        let path = session.path
        var rtt = TunnelPathReport.PerPath<Double?>(direct: nil, relayed: nil)
        let active = connection.remoteAddressOnLoop
        if let active, let smoothed = connection.smoothedRTTOnLoop {
            if case .relayed = active { rtt.relayed = smoothed.milliseconds } else { rtt.direct = smoothed.milliseconds }
        }
        if path.isDirect, rtt.relayed == nil, let relayedPath {
            rtt.relayed = connection.withCoreOnLoop { $0.pathRTT(relayedPath) }??.milliseconds
        }
        let remote: String? = switch path {
        case .direct(let remote, _): remote.hostPortText
        case .relayed: relay
        }
        return TunnelPathReport(path: path.isDirect ? "direct" : "relayed", remote: remote,
                                reason: path.relayedReason?.rawValue, explanation: path.relayedReason?.explanation,
                                since: since, pathChanges: pathChanges, rttMillis: rtt,
                                bytes: TunnelPathReport.PerPath(direct: bytes.direct, relayed: bytes.relayed))
    }

    // MARK: - Helpers

    private func notePathChange() {
        let path = session.path
        guard path != reportedPath else { return }
        let wasDirect = reportedPath.isDirect
        sampleBytes()
        reportedPath = path
        since = Date()
        if wasDirect != path.isDirect {
            pathChanges += 1
            metrics.pathChanged(toDirect: path.isDirect)
        }
        switch path {
        case .direct(let remote, _):
            logger.info("tunnel path direct", metadata: ["remote": "\(remote.hostPortText)"])
        case .relayed(let reason):
            // Losing a direct path is worth an operator's attention; not getting one is the status page's business.
            let level: Logger.Level = reason == .directPathFailed ? .warning : wasDirect ? .info : .debug
            logger.log(level: level, "tunnel path relayed", metadata: [
                "reason": "\(reason.rawValue)", "explanation": "\(reason.explanation)",
            ])
        }
        onPathChange?(path)
    }

    private func noteAttempts() {
        let attempts = session.attempts
        metrics.attemptsEnded(succeeded: attempts.succeeded - attemptsSeen.succeeded,
                              failed: attempts.failed - attemptsSeen.failed)
        attemptsSeen = attempts
    }

    /// Attributes the bytes since the last sample to the path they went over.
    private func sampleBytes() {
        let statistics = connection.statisticsOnLoop
        bytes.add(total: UInt64(clamping: statistics.bytesSent + statistics.bytesReceived), direct: reportedPath.isDirect)
    }

    private func rearm() {
        let next = session.nextDeadline
        guard next != timerDeadline else { return }
        timer?.cancel()
        timer = nil
        timerDeadline = next
        guard let next else { return }
        timer = connection.eventLoop.scheduleTask(deadline: next) { [self] in
            timerDeadline = nil
            timer = nil
            update { session, connection, now in session.handleTimeout(connection: &connection, now: now) }
        }
    }
}

extension TunnelPathDriver where Session == AgentTraversalSession {
    /// The agent moved to another relay (DESIGN.md §8): the tunnel's relayed path, validated by the caller, is
    /// now `path` — what a later fallback goes to.
    func relayedPathMoved(to path: PathAddress) {
        relayedPath = path
        update { session, _, _ in session.relayedPathChanged(to: path) }
    }

    var isDirect: Bool { session.isDirect }
}

/// Bytes carried per path kind, attributed at each sample.
struct PathBytes {
    private(set) var direct: UInt64 = 0
    private(set) var relayed: UInt64 = 0
    private var lastTotal: UInt64 = 0

    mutating func add(total: UInt64, direct isDirect: Bool) {
        let delta = total >= lastTotal ? total - lastTotal : 0
        lastTotal = total
        if isDirect { direct += delta } else { relayed += delta }
    }
}

extension TimeAmount {
    var milliseconds: Double { Double(nanoseconds) / 1_000_000 }
}
