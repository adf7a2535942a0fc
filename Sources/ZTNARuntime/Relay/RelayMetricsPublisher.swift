import QUICCore
import RelayCore
import ZTNAProtocol
import Synchronization

/// Publishes the relay's core and endpoint counters into the standard `ztna_*` families at scrape time
/// (DESIGN.md §8): connections by role, registrations, rejections by reason, relayed datagrams and bytes,
/// drops by reason, handshake failures by reason, Retry sent/validated/failed.
///
/// The sources keep plain totals; a `CounterMirror` per series adds only what is new since the last scrape.
/// Series whose label values are only known at run time (handshake failure labels such as `tls_alert_48`)
/// get their mirror on first sight.
final class RelayMetricsPublisher: Sendable {
    private let registry: MetricsRegistry
    private let mirrors = Mutex<[String: CounterMirror]>([:])

    init(registry: MetricsRegistry) {
        self.registry = registry
    }

    func publish(_ snapshot: RelayMetricsSnapshot, endpoint: QUICEndpointStatistics) {
        let core = snapshot.core
        registry.connections(role: "agent").set(Int64(core.agentConnections))
        registry.connections(role: "connector").set(Int64(core.connectorConnections))
        registry.connections(role: "all").set(Int64(core.connections))
        registry.connections(role: "verifying").set(Int64(snapshot.verifying))

        mirror("registrations.agent") { $0.registrations(role: "agent") }.publish(total: core.agentRegistrations)
        mirror("registrations.connector") { $0.registrations(role: "connector") }
            .publish(total: core.connectorRegistrations)
        for reason in RegisterNackReason.allCases {
            let label = Self.label(reason)
            mirror("rejections.\(label)") { $0.registrationRejections(reason: label) }
                .publish(total: core.rejections(reason))
        }

        mirror("datagrams.to_connector") { $0.relayedDatagrams(direction: "to_connector") }
            .publish(total: core.forwardedToConnectors)
        mirror("datagrams.to_agent") { $0.relayedDatagrams(direction: "to_agent") }
            .publish(total: core.forwardedToAgents)
        mirror("bytes.to_connector") { $0.relayedBytes(direction: "to_connector") }
            .publish(total: core.forwardedBytesToConnectors)
        mirror("bytes.to_agent") { $0.relayedBytes(direction: "to_agent") }
            .publish(total: core.forwardedBytesToAgents)

        for reason in RelayDropReason.allCases {
            publishDrop(reason.label, total: core.drops(reason))
        }
        publishDrop("verification_backlog", total: snapshot.backlogDrops)
        publishDrop("send_failed", total: snapshot.sendFailures)
        publishDrop("send_queue_full", total: snapshot.sendQueueDrops)
        for (reason, count) in endpoint.drops {
            publishDrop("quic_" + Self.snakeCase(reason.rawValue), total: UInt64(count))
        }

        for (label, count) in endpoint.handshakeFailures {
            mirror("handshake.\(label)") { $0.handshakeFailures(reason: label) }.publish(total: UInt64(count))
        }
        for (code, count) in snapshot.refusals {
            mirror("handshake.\(code.label)") { $0.handshakeFailures(reason: code.label) }.publish(total: count)
        }

        mirror("retry.sent") { $0.retries(outcome: .sent) }.publish(total: UInt64(endpoint.retriesSent))
        mirror("retry.validated") { $0.retries(outcome: .validated) }
            .publish(total: UInt64(endpoint.retryTokensValidated))
        mirror("retry.failed") { $0.retries(outcome: .failed) }.publish(total: UInt64(endpoint.retryTokensRejected))
    }

    private func publishDrop(_ label: String, total: UInt64) {
        mirror("drops.\(label)") { $0.drops(reason: label) }.publish(total: total)
    }

    /// The mirror for `key`, created from `series` on first use.
    private func mirror(_ key: String, _ series: (MetricsRegistry) -> CounterHandle) -> CounterMirror {
        if let existing = mirrors.withLock({ $0[key] }) { return existing }
        let created = series(registry).makeMirror()
        return mirrors.withLock { table in
            if let existing = table[key] { return existing }
            table[key] = created
            return created
        }
    }

    static func label(_ reason: RegisterNackReason) -> String {
        switch reason {
        case .malformed: "malformed"
        case .notAuthorized: "not_authorized"
        case .limitReached: "limit_reached"
        }
    }

    /// `handshakesPerAddress` → `handshakes_per_address`.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        for character in name {
            if character.isUppercase {
                out.append("_")
                out.append(contentsOf: character.lowercased())
            } else {
                out.append(character)
            }
        }
        return out
    }
}
