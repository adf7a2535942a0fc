public import Prometheus
import Synchronization

// MARK: - CounterHandle

/// A cached handle on one counter series (one family + one set of label values).
///
/// Obtain it once from a ``MetricsRegistry`` and keep it: incrementing is one relaxed atomic add,
/// with no lookup, lock or allocation, so it is fit for per-packet paths.
public struct CounterHandle: Sendable {
    @usableFromInline
    let counter: Prometheus.Counter

    init(_ counter: Prometheus.Counter) {
        self.counter = counter
    }

    /// Adds one.
    @inlinable
    public func increment() {
        self.counter.increment(by: Int64(1))
    }

    /// Adds `amount`. Values above `Int64.max` are clamped (a Prometheus counter is a signed 64-bit sum here).
    @inlinable
    public func increment(by amount: UInt64) {
        self.counter.increment(by: Int64(clamping: amount))
    }

    /// A new publisher that mirrors one core-owned monotonic counter into this series.
    ///
    /// Make one mirror per *source* (for example one per sans-IO core instance): several mirrors of the
    /// same handle add up, which is what a series summed over several event loops needs.
    public func makeMirror() -> CounterMirror {
        CounterMirror(self)
    }
}

// MARK: - GaugeHandle

/// A cached handle on one gauge series. Setting it is one atomic store.
public struct GaugeHandle: Sendable {
    @usableFromInline
    let gauge: Prometheus.Gauge

    init(_ gauge: Prometheus.Gauge) {
        self.gauge = gauge
    }

    /// Sets the current value.
    @inlinable
    public func set(_ value: Int64) {
        self.gauge.set(value)
    }

    /// Sets the current value.
    @inlinable
    public func set(_ value: Double) {
        self.gauge.set(value)
    }

    /// Adds `amount` (may be negative).
    @inlinable
    public func increment(by amount: Double = 1) {
        self.gauge.increment(by: amount)
    }

    /// Subtracts `amount`.
    @inlinable
    public func decrement(by amount: Double = 1) {
        self.gauge.decrement(by: amount)
    }
}

// MARK: - CounterMirror

/// Publishes the *current total* of a monotonic counter that a sans-IO core keeps as a plain integer.
///
/// The cores count in plain integers on their own event loop (no atomics on the hot path). At scrape time a
/// collect hook (``MetricsRegistry/addCollectHook(_:)``) reads a snapshot and calls ``publish(total:)``. The
/// mirror remembers the highest total it has published and adds only the difference to the Prometheus
/// counter, so:
/// - nothing is counted twice, however often or concurrently scrapes run (the high-water mark advances with a
///   compare-and-exchange, so two racing publishers add each delta exactly once);
/// - a stale snapshot (smaller than what was already published) adds nothing;
/// - several mirrors on one handle add up, and a source that is replaced gets a fresh mirror, so the exported
///   series stays monotonic across core restarts.
///
/// A series should be fed either by mirrors or by direct ``CounterHandle/increment()`` calls of the shell;
/// both at once is allowed but then the core must not count what the shell counts.
public final class CounterMirror: Sendable {
    private let handle: CounterHandle
    private let published = Atomic<UInt64>(0)

    init(_ handle: CounterHandle) {
        self.handle = handle
    }

    /// The highest total published so far.
    public var publishedTotal: UInt64 {
        self.published.load(ordering: .relaxed)
    }

    /// Publishes the source's current total; adds `total - publishedTotal` to the series if positive.
    public func publish(total: UInt64) {
        var current = self.published.load(ordering: .relaxed)
        while total > current {
            let (exchanged, original) = self.published.compareExchange(
                expected: current,
                desired: total,
                ordering: .relaxed
            )
            if exchanged {
                self.handle.increment(by: total - current)
                return
            }
            current = original
        }
    }
}
