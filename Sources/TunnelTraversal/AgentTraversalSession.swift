public import NATTraversal
public import NIOCore
public import QUICCore
import QUICWire

// MARK: - AgentTraversalSession

/// NAT traversal for one of the agent's tunnel connections (DESIGN.md §6): the decisions of `ClientTraversal`
/// carried out on the QUIC connection, and the connection's events fed back to it. Sans-IO: the caller owns the
/// connection and the clock, and passes both to every call.
///
/// Usage, on the connection's thread:
/// - after every connection event: `handle(event, connection:now:)`;
/// - when the node's candidates change: `setLocalCandidates(_:connection:now:)`;
/// - when the relayed path moves to another relay: `relayedPathChanged(to:)`;
/// - a timer at `nextDeadline` calling `handleTimeout(connection:now:)`.
///
/// What each `ClientTraversalAction` becomes:
///
/// | action | on the connection |
/// |---|---|
/// | `.punch` | `requestPunch` (PUNCH_ME_NOW) and `probePath(.udp(remote))` unless that remote is probed already |
/// | `.probe` | `probePath(.udp(remote))` (a peer-reflexive address: no PUNCH_ME_NOW) |
/// | `.reprobe` | nothing: QUICCore retransmits PATH_CHALLENGE on the same schedule (100 ms doubling, 5 times) |
/// | `.cancelProbe` | `abandonPath` |
/// | `.migrate` | `migrate(to:)` and a PING, so the connector follows at once (RFC 9000 §9.3) |
/// | `.fallBack` | `migrate(to: relayed, abandoningCurrent: true)` and a PING: in-flight data is resent there |
/// | `.keepalive` | `sendPing()` |
public struct AgentTraversalSession: Sendable {
    public private(set) var traversal: ClientTraversal
    /// The path the tunnel falls back to: its route through the active relay.
    public private(set) var relayedPath: PathAddress
    /// How often the active direct path's health is read from the connection while direct (the liveness rule
    /// needs fresh acknowledgement times, and nothing else wakes the session while data flows).
    public var healthCheckInterval: TimeAmount = .milliseconds(200)
    private var supportReported = false
    /// Remote addresses with a QUIC path validation we started.
    private var probing: Set<SocketAddress> = []
    private var lastHealthCheck: NIODeadline?
    public private(set) var counters = AgentTraversalSessionCounters()

    public init(relayedPath: PathAddress, enabled: Bool, configuration: TraversalConfiguration = .init(),
                now: NIODeadline) {
        self.relayedPath = relayedPath
        traversal = ClientTraversal(configuration: configuration, enabled: enabled, now: now)
    }

    // MARK: - Getters

    public var status: TraversalStatus { traversal.status }

    public var isDirect: Bool { traversal.status.path.isDirect }

    public var nextDeadline: NIODeadline? {
        var next = traversal.nextDeadline
        if isDirect, let last = lastHealthCheck {
            let check = last + healthCheckInterval
            next = next.map { min($0, check) } ?? check
        }
        return next
    }

    // MARK: - Inputs

    /// One event of the tunnel connection (the others are ignored).
    public mutating func handle(_ event: QUICConnectionEvent, connection: inout QUICConnection, now: NIODeadline) {
        reportSupportIfKnown(connection, now: now)
        switch event {
        case .addressAdvertised(let sequence, let address):
            traversal.remoteCandidateAdded(sequence: sequence, address: address.socketAddress, now: now)
        case .addressWithdrawn(let sequence):
            traversal.remoteCandidateRemoved(sequence: sequence, now: now)
        case .probeReceived(.udp(let remote)):
            traversal.peerReflexiveObserved(remote: remote, now: now)
        case .pathValidated(.udp(let remote)) where probing.contains(remote):
            probing.remove(remote)
            let rtt = connection.pathRTT(.udp(remote)) ?? .zero
            traversal.probeSucceeded(remote: remote, rtt: rtt, now: now)
        case .pathFailed(.udp(let remote)) where probing.contains(remote):
            probing.remove(remote)
            traversal.probeFailed(remote: remote, now: now)
        default:
            traversal.handleTimeout(now: now)
        }
        perform(&connection, now: now)
    }

    /// The node's candidates on its one socket: host addresses and what relays observed.
    public mutating func setLocalCandidates(_ candidates: [Candidate], connection: inout QUICConnection,
                                            now: NIODeadline) {
        reportSupportIfKnown(connection, now: now)
        traversal.setLocalCandidates(candidates, now: now)
        perform(&connection, now: now)
    }

    /// The relayed path now goes through another relay (the caller validated it and, when relayed, migrated).
    public mutating func relayedPathChanged(to path: PathAddress) {
        relayedPath = path
    }

    public mutating func handleTimeout(connection: inout QUICConnection, now: NIODeadline) {
        reportSupportIfKnown(connection, now: now)
        traversal.handleTimeout(now: now)
        perform(&connection, now: now)
    }

    // MARK: - Helpers

    /// The nat_traversal transport parameter is known once the handshake is confirmed.
    private mutating func reportSupportIfKnown(_ connection: QUICConnection, now: NIODeadline) {
        guard !supportReported, connection.isHandshakeConfirmed else { return }
        supportReported = true
        if connection.isNATTraversalNegotiated, let limit = connection.peerNATTraversalConcurrencyLimit {
            traversal.peerSupport(concurrencyLimit: Int(clamping: limit), now: now)
        } else {
            traversal.peerDisabled(now: now)
        }
    }

    /// Feeds the active direct path's health, then carries out every action.
    private mutating func perform(_ connection: inout QUICConnection, now: NIODeadline) {
        refreshHealth(connection, now: now)
        while let action = traversal.pollAction() {
            apply(action, to: &connection, now: now)
        }
    }

    private mutating func refreshHealth(_ connection: QUICConnection, now: NIODeadline) {
        guard case .direct(let remote, _) = traversal.status.path else {
            lastHealthCheck = nil
            return
        }
        lastHealthCheck = now
        let snapshot = connection.pathHealth(now: now)
        // Until the migration is carried out the active path is another; its health says nothing of this one.
        guard snapshot.path == .udp(remote) else { return }
        let rtt = connection.pathRTT(.udp(remote)) ?? .zero
        traversal.pathHealth(PathHealth(unacknowledgedSince: snapshot.unacknowledgedSince,
                                        lastAckElicitingSent: snapshot.lastAckElicitingSent,
                                        lastReceived: snapshot.lastReceived, probeTimeout: snapshot.probeTimeout,
                                        smoothedRTT: rtt), now: now)
    }

    private mutating func apply(_ action: ClientTraversalAction, to connection: inout QUICConnection, now: NIODeadline) {
        switch action {
        case .punch(let round, let pairedWith, let local, let remote):
            guard let address = FrameAddress(local) else { return }
            do {
                try connection.requestPunch(round: round, pairedWith: pairedWith, address: address)
                counters.punchesRequested += 1
            } catch {
                counters.punchesRefused += 1
            }
            startProbe(remote, on: &connection, now: now)
        case .probe(let remote):
            startProbe(remote, on: &connection, now: now)
        case .reprobe:
            // QUICCore's path validation retransmits on the traversal's own schedule (PathValidationPolicy).
            break
        case .cancelProbe(let remote):
            probing.remove(remote)
            connection.abandonPath(.udp(remote))
        case .migrate(let remote):
            do {
                try connection.migrate(to: .udp(remote), now: now)
                connection.sendPing()
                counters.migrations += 1
            } catch {
                counters.migrationsRefused += 1
                traversal.migrationFailed(remote: remote, now: now)
            }
        case .fallBack:
            guard connection.activePath != relayedPath else { return }
            do {
                try connection.migrate(to: relayedPath, abandoningCurrent: true, now: now)
                connection.sendPing()
                counters.fallbacks += 1
            } catch {
                // The relayed path is gone too (evicted, or its relay failed over); the relay failover
                // migrates the tunnel once a relay is back.
                counters.fallbacksRefused += 1
            }
        case .keepalive:
            connection.sendPing()
        }
    }

    private mutating func startProbe(_ remote: SocketAddress, on connection: inout QUICConnection, now: NIODeadline) {
        guard !probing.contains(remote) else { return }
        do {
            try connection.probePath(.udp(remote), now: now)
            probing.insert(remote)
            counters.probesStarted += 1
        } catch {
            counters.probesRefused += 1
            traversal.probeFailed(remote: remote, now: now)
        }
    }
}

// MARK: - AgentTraversalSessionCounters

/// What the session did to the connection, and what the connection refused.
public struct AgentTraversalSessionCounters: Hashable, Sendable {
    public var punchesRequested = 0
    public var punchesRefused = 0
    public var probesStarted = 0
    public var probesRefused = 0
    public var migrations = 0
    public var migrationsRefused = 0
    public var fallbacks = 0
    public var fallbacksRefused = 0

    public init() {}
}
