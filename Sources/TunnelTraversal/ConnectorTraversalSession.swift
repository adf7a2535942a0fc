public import NATTraversal
public import NIOCore
public import QUICCore
import QUICWire

// MARK: - ConnectorTraversalSession

/// NAT traversal for one tunnel connection the connector serves (DESIGN.md §6): `ServerTraversal`'s decisions
/// carried out on the QUIC connection — advertise and withdraw candidates, probe the addresses the agent pairs
/// (server-initiated validation) — and the connection's events fed back. The agent chooses the path and
/// migrates; the connection follows it by itself (RFC 9000 §9.3), and this session reports where it went.
///
/// | action | on the connection |
/// |---|---|
/// | `.advertise` | `advertiseAddress` (ADD_ADDRESS); QUICCore numbers it, the session maps the two numbers |
/// | `.withdraw` | `withdrawAddress` (REMOVE_ADDRESS) |
/// | `.probe` | `probePath(.udp(address))`; a refusal (`.probeLimitReached`) counts as a failed probe |
/// | `.reprobe` | nothing: QUICCore retransmits PATH_CHALLENGE on the same schedule |
/// | `.cancelProbe` | `abandonPath` |
public struct ConnectorTraversalSession: Sendable {
    public private(set) var traversal: ServerTraversal
    private var supportReported = false
    /// Our advertisement numbers and the connection's (the ones on the wire), both ways.
    private var wireSequence: [UInt64: UInt64] = [:]
    private var traversalSequence: [UInt64: UInt64] = [:]
    private var probing: Set<SocketAddress> = []
    public private(set) var counters = ConnectorTraversalSessionCounters()

    public init(enabled: Bool, configuration: TraversalConfiguration = .init(), now: NIODeadline) {
        traversal = ServerTraversal(configuration: configuration, enabled: enabled, now: now)
    }

    public var status: ServerTraversalStatus { traversal.status }

    public var nextDeadline: NIODeadline? { traversal.nextDeadline }

    // MARK: - Inputs

    public mutating func handle(_ event: QUICConnectionEvent, connection: inout QUICConnection, now: NIODeadline) {
        reportSupportIfKnown(connection, now: now)
        switch event {
        case .punchRequested(let punch):
            // A sequence we never put on the wire is passed on as one the traversal never used, so it is
            // refused and counted there.
            let sequence = traversalSequence[punch.pairedWith] ?? .max
            traversal.punchMeNow(round: punch.round, pairedWith: sequence, address: punch.address.socketAddress,
                                 now: now)
        case .pathValidated(.udp(let remote)) where probing.contains(remote):
            probing.remove(remote)
            traversal.probeSucceeded(address: remote, now: now)
        case .pathFailed(.udp(let remote)) where probing.contains(remote):
            probing.remove(remote)
            traversal.probeFailed(address: remote, now: now)
        case .activePathChanged(let path):
            if case .udp(let remote) = path {
                traversal.activePathChanged(direct: remote, now: now)
            } else {
                traversal.activePathChanged(direct: nil, now: now)
            }
        default:
            traversal.handleTimeout(now: now)
        }
        perform(&connection, now: now)
    }

    /// The node's candidates: host addresses and what relays observed.
    public mutating func setLocalCandidates(_ candidates: [Candidate], connection: inout QUICConnection,
                                            now: NIODeadline) {
        reportSupportIfKnown(connection, now: now)
        traversal.setLocalCandidates(candidates, now: now)
        perform(&connection, now: now)
    }

    public mutating func handleTimeout(connection: inout QUICConnection, now: NIODeadline) {
        reportSupportIfKnown(connection, now: now)
        traversal.handleTimeout(now: now)
        perform(&connection, now: now)
    }

    // MARK: - Helpers

    /// ADD_ADDRESS may be sent once the handshake is confirmed and the agent offered nat_traversal.
    private mutating func reportSupportIfKnown(_ connection: QUICConnection, now: NIODeadline) {
        guard !supportReported, connection.isHandshakeConfirmed else { return }
        supportReported = true
        traversal.clientSupport(connection.isNATTraversalNegotiated, now: now)
    }

    private mutating func perform(_ connection: inout QUICConnection, now: NIODeadline) {
        while let action = traversal.pollAction() {
            apply(action, to: &connection, now: now)
        }
    }

    private mutating func apply(_ action: ServerTraversalAction, to connection: inout QUICConnection,
                                now: NIODeadline) {
        switch action {
        case .advertise(let sequence, let address):
            guard let frameAddress = FrameAddress(address) else { return }
            do {
                let wire = try connection.advertiseAddress(frameAddress)
                wireSequence[sequence] = wire
                traversalSequence[wire] = sequence
                counters.advertised += 1
            } catch {
                counters.advertisementsRefused += 1
            }
        case .withdraw(let sequence):
            guard let wire = wireSequence.removeValue(forKey: sequence) else { return }
            traversalSequence[wire] = nil
            try? connection.withdrawAddress(sequence: wire)
            counters.withdrawn += 1
        case .probe(let address):
            guard !probing.contains(address) else { return }
            do {
                try connection.probePath(.udp(address), now: now)
                probing.insert(address)
                counters.probesStarted += 1
            } catch {
                counters.probesRefused += 1
                traversal.probeFailed(address: address, now: now)
            }
        case .reprobe:
            break
        case .cancelProbe(let address):
            probing.remove(address)
            connection.abandonPath(.udp(address))
        }
    }
}

// MARK: - ConnectorTraversalSessionCounters

public struct ConnectorTraversalSessionCounters: Hashable, Sendable {
    public var advertised = 0
    public var advertisementsRefused = 0
    public var withdrawn = 0
    public var probesStarted = 0
    public var probesRefused = 0

    public init() {}
}
