import CoreMetrics
import Prometheus
import Synchronization

// MARK: - ZTNAMetrics

/// The process-wide metrics registry and the swift-metrics bootstrap.
///
/// A daemon calls ``bootstrap()`` once at start-up so that libraries reporting through swift-metrics
/// (`Counter(label:)`, Hummingbird's `MetricsMiddleware`, …) land in ``process``, the same registry the admin
/// server renders. Tests should not rely on the global state: they create a private ``MetricsRegistry`` and
/// pass it to ``AdminServer``.
///
/// Families created through swift-metrics bypass the ``MetricsRegistry`` catalogue; keep their names out of
/// the `ztna_` namespace.
public enum ZTNAMetrics {
    /// The one registry of this process.
    public static let process = MetricsRegistry(prometheus: PrometheusCollectorRegistry())

    private static let bootstrapped = Mutex(false)

    /// Installs swift-prometheus's `PrometheusMetricsFactory` over ``process`` as the swift-metrics backend.
    ///
    /// `MetricsSystem.bootstrap` may run at most once per process (a second call traps), so this is guarded:
    /// only the first call installs the factory; later calls do nothing.
    /// - Returns: `true` if this call installed the factory, `false` if it was already installed.
    @discardableResult
    public static func bootstrap() -> Bool {
        // Installed under the lock so no caller returns before the factory is in place.
        let first = self.bootstrapped.withLock { done -> Bool in
            guard !done else { return false }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: self.process.prometheus))
            done = true
            return true
        }
        return first
    }
}
