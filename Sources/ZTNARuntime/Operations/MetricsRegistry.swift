public import Prometheus
import Synchronization

// MARK: - MetricsRegistry

/// The metrics of one daemon (or one test): a `PrometheusCollectorRegistry` plus a family catalogue and
/// scrape-time collect hooks.
///
/// - Handles: ``counter(_:help:labels:)`` and ``gauge(_:help:labels:)`` return handles the caller keeps;
///   the lookup (a lock and a dictionary) happens once, never per packet.
/// - Catalogue: every family name is bound to one type, one help text and one set of label names. Conflicts
///   throw ``MetricsError`` here instead of reaching swift-prometheus, which would `fatalError`. The
///   standard `ztna_*` families (``ZTNAMetricFamily``) are pre-registered so the typed helpers cannot fail.
/// - Core counters: the sans-IO cores keep their own plain integer counters. We chose *collect hooks + delta
///   mirrors*: ``render()`` first awaits every hook added with ``addCollectHook(_:)``; a hook reads a snapshot
///   from its core (hopping to the core's event loop) and calls ``CounterMirror/publish(total:)`` or
///   ``GaugeHandle/set(_:)-(Int64)``. A mirror adds only the increase since its last publication, so nothing
///   is counted twice and the series stays monotonic (see ``CounterMirror``).
///
/// Use ``ZTNAMetrics/process`` for the one registry of a daemon process, or `MetricsRegistry()` for a private
/// one (tests, or several daemons in one process as in `ztna demo`).
public final class MetricsRegistry: Sendable {
    /// A scrape-time hook: publish current values of core-owned counters and gauges.
    public typealias CollectHook = @Sendable () async -> Void

    /// Identifies a collect hook for ``removeCollectHook(_:)``.
    public struct CollectHookID: Sendable, Hashable {
        let rawValue: UInt64
    }

    /// The swift-prometheus registry that holds the series and renders the exposition text.
    public let prometheus: PrometheusCollectorRegistry

    private let catalogue: Mutex<[String: FamilyDescriptor]>
    private let hooks: Mutex<HookTable>

    // MARK: - Initialization

    /// A registry over `prometheus` (a fresh private one by default), with the standard `ztna_*` families
    /// pre-registered.
    public init(prometheus: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.prometheus = prometheus
        var families: [String: FamilyDescriptor] = [:]
        for family in ZTNAMetricFamily.all {
            families[family.name] = family.descriptor
        }
        self.catalogue = Mutex(families)
        self.hooks = Mutex(HookTable())
    }

    // MARK: - Series

    /// The counter series `name{labels}`, created on first use. Keep the returned handle.
    ///
    /// - Parameters:
    ///   - name: Prometheus metric name; counters should end in `_total`.
    ///   - help: The `# HELP` text; must be identical for every series of the family.
    ///   - labels: Label names and values; names must be the same for every series of the family (any order).
    public func counter(
        _ name: String,
        help: String,
        labels: [(String, String)] = []
    ) throws(MetricsError) -> CounterHandle {
        let sorted = try self.register(name, kind: .counter, help: help, labels: labels)
        return CounterHandle(self.prometheus.makeCounter(descriptor: Self.descriptor(name, help), labels: sorted))
    }

    /// The gauge series `name{labels}`, created on first use. Keep the returned handle.
    public func gauge(
        _ name: String,
        help: String,
        labels: [(String, String)] = []
    ) throws(MetricsError) -> GaugeHandle {
        let sorted = try self.register(name, kind: .gauge, help: help, labels: labels)
        return GaugeHandle(self.prometheus.makeGauge(descriptor: Self.descriptor(name, help), labels: sorted))
    }

    /// A series of a pre-registered standard family; cannot conflict, so it does not throw.
    func counter(_ family: ZTNAMetricFamily, value: String) -> CounterHandle {
        precondition(family.descriptor.kind == .counter, "\(family.name) is not a counter")
        return CounterHandle(self.prometheus.makeCounter(
            descriptor: Self.descriptor(family.name, family.descriptor.help),
            labels: [(family.labelName, value)]
        ))
    }

    /// A series of a pre-registered standard gauge family.
    func gauge(_ family: ZTNAMetricFamily, value: String) -> GaugeHandle {
        precondition(family.descriptor.kind == .gauge, "\(family.name) is not a gauge")
        return GaugeHandle(self.prometheus.makeGauge(
            descriptor: Self.descriptor(family.name, family.descriptor.help),
            labels: [(family.labelName, value)]
        ))
    }

    // MARK: - Collect hooks

    /// Adds a hook that ``render()`` awaits before every scrape, in the order hooks were added.
    @discardableResult
    public func addCollectHook(_ hook: @escaping CollectHook) -> CollectHookID {
        self.hooks.withLock { table in
            let id = CollectHookID(rawValue: table.nextID)
            table.nextID += 1
            table.entries.append((id, hook))
            return id
        }
    }

    /// Removes a hook (for example when the component it reads from stops). Unknown ids are ignored.
    public func removeCollectHook(_ id: CollectHookID) {
        self.hooks.withLock { table in
            table.entries.removeAll { $0.0 == id }
        }
    }

    // MARK: - Rendering

    /// Runs the collect hooks, then renders the Prometheus text exposition format (version 0.0.4).
    public func render() async -> [UInt8] {
        let hooks = self.hooks.withLock { $0.entries.map(\.1) }
        for hook in hooks {
            await hook()
        }
        return self.prometheus.emitToBuffer()
    }

    // MARK: - Catalogue

    /// Validates `name` and `labels` against the catalogue, registering the family on first use.
    /// Returns the labels sorted by name, so one series has one key whatever order the caller used.
    private func register(
        _ name: String,
        kind: FamilyDescriptor.Kind,
        help: String,
        labels: [(String, String)]
    ) throws(MetricsError) -> [(String, String)] {
        guard Self.isValidMetricName(name) else {
            throw MetricsError(.invalidName, name: name, "must match [a-zA-Z_:][a-zA-Z0-9_:]*")
        }
        let sorted = labels.sorted { $0.0 < $1.0 }
        var previous: String?
        for (label, _) in sorted {
            guard Self.isValidLabelName(label) else {
                throw MetricsError(.invalidLabelName, name: name, "label '\(label)'")
            }
            if label == previous {
                throw MetricsError(.duplicateLabelName, name: name, "label '\(label)'")
            }
            previous = label
        }
        let wanted = FamilyDescriptor(kind: kind, help: help, labelNames: sorted.map(\.0))
        let existing: FamilyDescriptor? = self.catalogue.withLock { families in
            if let existing = families[name] { return existing }
            families[name] = wanted
            return nil
        }
        guard let existing else { return sorted }
        guard existing.kind == wanted.kind else {
            throw MetricsError(.typeMismatch, name: name, "registered as \(existing.kind), requested \(wanted.kind)")
        }
        guard existing.help == wanted.help else {
            throw MetricsError(.helpMismatch, name: name, "registered with '\(existing.help)'")
        }
        guard existing.labelNames == wanted.labelNames else {
            throw MetricsError(
                .labelNamesMismatch, name: name,
                "registered with [\(existing.labelNames.joined(separator: ","))]"
            )
        }
        return sorted
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        // The full name goes into `metricName`; empty components are dropped when the name is joined.
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    // Prometheus data model: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*,
    // label names starting with "__" are reserved.
    static func isValidMetricName(_ name: String) -> Bool {
        Self.isIdentifier(name, allowColon: true)
    }

    static func isValidLabelName(_ name: String) -> Bool {
        Self.isIdentifier(name, allowColon: false) && !name.hasPrefix("__")
    }

    private static func isIdentifier(_ name: String, allowColon: Bool) -> Bool {
        guard !name.isEmpty else { return false }
        var first = true
        for byte in name.utf8 {
            defer { first = false }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                continue
            case UInt8(ascii: ":") where allowColon:
                continue
            case UInt8(ascii: "0")...UInt8(ascii: "9") where !first:
                continue
            default:
                return false
            }
        }
        return true
    }
}

// MARK: - Catalogue entries

/// What the catalogue remembers about one family.
struct FamilyDescriptor: Sendable, Equatable {
    enum Kind: Sendable, Equatable, CustomStringConvertible {
        case counter
        case gauge

        var description: String {
            switch self {
            case .counter: "counter"
            case .gauge: "gauge"
            }
        }
    }

    var kind: Kind
    var help: String
    /// Sorted label names.
    var labelNames: [String]
}

/// The collect hooks, in registration order.
struct HookTable: Sendable {
    var nextID: UInt64 = 0
    var entries: [(MetricsRegistry.CollectHookID, MetricsRegistry.CollectHook)] = []
}
