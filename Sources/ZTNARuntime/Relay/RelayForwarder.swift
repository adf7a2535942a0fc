import Logging
import NIOCore
import QUICCore
import QUICNIO
import RelayCore
import ZTNAIdentity
import ZTNAProtocol

/// The relay's event-loop side: owns `RelayCore` and the table of accepted connections, and moves DATAGRAMs
/// between them without leaving the endpoint's event loop (no task hop per datagram).
///
/// Loop-confined: every method runs on the endpoint's event loop (the server reaches it through
/// `NIOLoopBound`). Certificate verification is asynchronous (swift-certificates), so a connection is
/// *accepted* on the loop, verified in a task, then *admitted* back on the loop; its first datagrams wait in
/// a small backlog meanwhile.
final class RelayForwarder {
    private(set) var core: RelayCore
    private var members: [RelayConnectionID: RelayMember] = [:]
    private var nextID: UInt64 = 1
    private(set) var trustRoots: TrustRoots
    private(set) var revocations: RevocationList
    private let logger: Logger
    /// False once shutdown began: handshakes completing now are closed at once.
    var accepting = true

    // Counters the core does not keep.
    private(set) var refusals: [RelayCloseCode: UInt64] = [:]
    private(set) var backlogDrops: UInt64 = 0
    private(set) var sendFailures: UInt64 = 0
    /// DATAGRAMs that connections which have since closed dropped from full send queues.
    private var closedSendQueueDrops: UInt64 = 0

    init(core: RelayCore, credentials: RelayCredentials, logger: Logger) {
        self.core = core
        self.trustRoots = credentials.trustRoots
        self.revocations = credentials.revocations
        self.logger = logger
    }

    // MARK: - Connection lifecycle

    /// A handshake completed: checks the DATAGRAM extension, installs the on-loop handlers and returns the
    /// id to verify under, or nil when the connection was refused.
    func accept(_ connection: QUICNIOConnection) -> RelayConnectionID? {
        guard accepting else {
            connection.closeOnLoop(errorCode: RelayCloseCode.shutdown.rawValue, reason: "relay shutting down")
            return nil
        }
        let id = RelayConnectionID(rawValue: nextID)
        nextID += 1
        let member = RelayMember(connection: connection)
        members[id] = member
        connection.setCloseHandlerOnLoop { [self] reason in self.closed(id, reason: reason) }
        // DESIGN.md §3: the relay refuses a peer that does not offer DATAGRAM (RFC 9221 §3).
        guard connection.maxDatagramPayloadOnLoop != nil else {
            refuse(id, .datagramsRequired, detail: "no max_datagram_frame_size transport parameter")
            return nil
        }
        connection.setDatagramHandlerOnLoop { [self] bytes in
            if member.admitted {
                self.core.handleDatagram(bytes, from: id)
                self.flush()
            } else if member.backlog.count < RelayMember.backlogLimit {
                member.backlog.append(bytes)
            } else {
                self.backlogDrops += 1
            }
        }
        connection.setPathEventHandlerOnLoop { [self] event in self.pathChanged(id, event) }
        return id
    }

    /// Verification of `id`'s certificate finished (in a task); admit it to the core or refuse it.
    func verified(_ id: RelayConnectionID, _ result: Result<PeerIdentity, IdentityError>) {
        guard let member = members[id] else { return }   // closed while verifying
        let peer: PeerIdentity
        switch result {
        case .failure(let error):
            return refuse(id, .unauthorized, detail: error.message)
        case .success(let identity):
            peer = identity
        }
        if revocations.contains(peer) {
            return refuse(id, .unauthorized, detail: "certificate \(peer.name) serial \(peer.serial) is revoked")
        }
        let address = Self.observed(member.connection.remoteAddressOnLoop)
        switch core.connectionEstablished(id, grants: peer.grants, name: peer.name, address: address) {
        case .accepted:
            break
        case .tooManyConnections, .duplicateID:
            return refuse(id, .capacity, detail: "\(core.limits.maxConnections) connections are live")
        }
        member.admitted = true
        member.name = peer.name
        member.serial = peer.serial
        logger.info("relay client admitted", metadata: [
            "relay.connection": "\(id)", "peer.name": "\(peer.name)", "peer.serial": "\(peer.serial)",
            "peer.address": "\(address.map { "\($0)" } ?? "-")", "peer.grants": "\(peer.grants)",
        ])
        let backlog = member.backlog
        member.backlog = []
        for bytes in backlog { core.handleDatagram(bytes, from: id) }
        flush()
    }

    /// Closes `id` with an application CONNECTION_CLOSE carrying `code`; counted by reason.
    func refuse(_ id: RelayConnectionID, _ code: RelayCloseCode, detail: String) {
        guard let member = members[id] else { return }
        refusals[code, default: 0] += 1
        logger.notice("relay refused client", metadata: [
            "relay.connection": "\(id)", "relay.reason": "\(code.label)", "detail": "\(detail)",
            "peer.name": "\(member.name.isEmpty ? "-" : member.name)",
        ])
        member.connection.closeOnLoop(errorCode: code.rawValue, reason: String(detail.prefix(200)))
    }

    private func closed(_ id: RelayConnectionID, reason: QUICCloseReason) {
        guard let member = members.removeValue(forKey: id) else { return }
        closedSendQueueDrops += UInt64(member.connection.statisticsOnLoop.datagramsDropped)
        guard member.admitted else { return }
        core.connectionClosed(id)
        flush()
        logger.info("relay client disconnected", metadata: [
            "relay.connection": "\(id)", "peer.name": "\(member.name)", "quic.reason": "\(reason.label)",
        ])
    }

    private func pathChanged(_ id: RelayConnectionID, _ event: QUICPathEvent) {
        guard let member = members[id], member.admitted else { return }
        switch event {
        case .peerAddressChanged(let remote), .activePathChanged(let remote):
            // DESIGN.md §3: OBSERVED_ADDRESS again whenever the client's source address changes.
            if let address = Self.observed(remote) {
                core.connectionAddressChanged(id, to: address)
                flush()
            }
        case .validated, .failed:
            break
        }
    }

    // MARK: - Output

    /// Sends everything the core queued. A full per-connection send queue drops its oldest DATAGRAM
    /// (counted in the connection's statistics), never blocks the loop.
    func flush() {
        while let transmit = core.pollTransmit() {
            guard let member = members[transmit.connection] else { continue }
            if case .failure = member.connection.sendDatagramOnLoop(transmit.datagram) {
                sendFailures += 1
            }
        }
    }

    // MARK: - Reload

    /// New trust roots and revocations (SIGHUP). Returns every admitted connection's certificate chain, so the
    /// caller can verify each again off the loop and `refuse` those that no longer pass.
    func replaceTrust(_ credentials: RelayCredentials) -> [(RelayConnectionID, [[UInt8]])] {
        trustRoots = credentials.trustRoots
        revocations = credentials.revocations
        return members.filter { $0.value.admitted }.map { ($0.key, $0.value.connection.peerCertificateChain) }
    }

    // MARK: - Shutdown

    /// Every connection, for closing them all.
    var connections: [QUICNIOConnection] { members.values.map(\.connection) }

    // MARK: - Observation

    /// Counters for the metrics scrape.
    var metrics: RelayMetricsSnapshot {
        var sendQueueDrops = closedSendQueueDrops
        for member in members.values {
            sendQueueDrops += UInt64(member.connection.statisticsOnLoop.datagramsDropped)
        }
        return RelayMetricsSnapshot(
            core: core.counters, refusals: refusals, backlogDrops: backlogDrops, sendFailures: sendFailures,
            sendQueueDrops: sendQueueDrops, verifying: members.values.count { !$0.admitted })
    }

    /// Every admitted connection with its transport facts, for `/api/v1/status`.
    var status: [RelayConnectionReport] {
        core.snapshot.compactMap { entry in
            guard let member = members[entry.id] else { return nil }
            let statistics = member.connection.statisticsOnLoop
            return RelayConnectionReport(
                entry: entry, serial: member.serial, statistics: statistics,
                rtt: member.connection.smoothedRTTOnLoop)
        }
    }

    // MARK: - Helpers

    static func observed(_ path: PathAddress?) -> ObservedAddress? {
        guard case .udp(let address)? = path else { return nil }
        return ObservedAddress(address)
    }
}
