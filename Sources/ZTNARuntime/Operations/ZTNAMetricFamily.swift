// MARK: - ZTNAMetricFamily

/// The metric families every daemon shares (DESIGN.md §8), each with one label.
///
/// They are pre-registered in every ``MetricsRegistry``, so the typed helpers below cannot conflict with a
/// family created through the generic API and do not throw. Label values must come from a small fixed set
/// (a role, a reason code, a direction), never from peer data: each value is a time series.
public struct ZTNAMetricFamily: Sendable, Equatable {
    /// The Prometheus metric name.
    public let name: String
    /// The one label name of the family.
    public let labelName: String
    let descriptor: FamilyDescriptor

    init(_ name: String, _ kind: FamilyDescriptor.Kind, label: String, help: String) {
        self.name = name
        self.labelName = label
        self.descriptor = FamilyDescriptor(kind: kind, help: help, labelNames: [label])
    }

    /// `ztna_connections{role}` gauge: open QUIC connections by peer role.
    public static let connections = ZTNAMetricFamily(
        "ztna_connections", .gauge, label: "role", help: "Open QUIC connections by peer role.")
    /// `ztna_registrations_total{role}`: accepted registrations by role.
    public static let registrations = ZTNAMetricFamily(
        "ztna_registrations_total", .counter, label: "role", help: "Accepted registrations by role.")
    /// `ztna_registration_rejections_total{reason}`.
    public static let registrationRejections = ZTNAMetricFamily(
        "ztna_registration_rejections_total", .counter, label: "reason",
        help: "Rejected registrations by reason.")
    /// `ztna_relayed_datagrams_total{direction}`.
    public static let relayedDatagrams = ZTNAMetricFamily(
        "ztna_relayed_datagrams_total", .counter, label: "direction", help: "Relayed tunnel datagrams by direction.")
    /// `ztna_relayed_bytes_total{direction}`.
    public static let relayedBytes = ZTNAMetricFamily(
        "ztna_relayed_bytes_total", .counter, label: "direction", help: "Relayed tunnel bytes by direction.")
    /// `ztna_drops_total{reason}`.
    public static let drops = ZTNAMetricFamily(
        "ztna_drops_total", .counter, label: "reason", help: "Dropped packets by reason.")
    /// `ztna_handshake_failures_total{reason}`.
    public static let handshakeFailures = ZTNAMetricFamily(
        "ztna_handshake_failures_total", .counter, label: "reason", help: "Failed QUIC handshakes by reason.")
    /// `ztna_retry_total{outcome}` with outcome `sent`, `validated` or `failed` (RFC 9000 §8.1.2).
    public static let retries = ZTNAMetricFamily(
        "ztna_retry_total", .counter, label: "outcome", help: "Retry packets sent and Retry tokens validated or failed.")

    /// Every standard family.
    public static let all: [ZTNAMetricFamily] = [
        .connections, .registrations, .registrationRejections, .relayedDatagrams, .relayedBytes, .drops,
        .handshakeFailures, .retries,
    ]
}

// MARK: - RetryOutcome

/// The `outcome` label of `ztna_retry_total`: a Retry was sent, or a Retry token came back and was
/// validated or failed validation (RFC 9000 §8.1.2–§8.1.4).
public enum RetryOutcome: String, Sendable, CaseIterable {
    case sent
    case validated
    case failed
}

// MARK: - Typed helpers

extension MetricsRegistry {
    /// `ztna_connections{role=…}`.
    public func connections(role: String) -> GaugeHandle {
        self.gauge(.connections, value: role)
    }

    /// `ztna_registrations_total{role=…}`.
    public func registrations(role: String) -> CounterHandle {
        self.counter(.registrations, value: role)
    }

    /// `ztna_registration_rejections_total{reason=…}`.
    public func registrationRejections(reason: String) -> CounterHandle {
        self.counter(.registrationRejections, value: reason)
    }

    /// `ztna_relayed_datagrams_total{direction=…}` (for example `agent_to_connector`, `connector_to_agent`).
    public func relayedDatagrams(direction: String) -> CounterHandle {
        self.counter(.relayedDatagrams, value: direction)
    }

    /// `ztna_relayed_bytes_total{direction=…}`.
    public func relayedBytes(direction: String) -> CounterHandle {
        self.counter(.relayedBytes, value: direction)
    }

    /// `ztna_drops_total{reason=…}`.
    public func drops(reason: String) -> CounterHandle {
        self.counter(.drops, value: reason)
    }

    /// `ztna_handshake_failures_total{reason=…}`.
    public func handshakeFailures(reason: String) -> CounterHandle {
        self.counter(.handshakeFailures, value: reason)
    }

    /// `ztna_retry_total{outcome=sent|validated|failed}`.
    public func retries(outcome: RetryOutcome) -> CounterHandle {
        self.counter(.retries, value: outcome.rawValue)
    }
}
