// MARK: - MetricsError

/// Why a metric family or series could not be registered.
///
/// swift-prometheus treats these situations as programmer errors and calls `fatalError`; the
/// ``MetricsRegistry`` checks them first so a daemon gets a typed error it can report instead of a crash.
public struct MetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, extensible without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let rawValue: UInt8

        /// The metric name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*` (Prometheus data model).
        public static let invalidName = Code(rawValue: 1)
        /// A label name does not match `[a-zA-Z_][a-zA-Z0-9_]*` or starts with the reserved `__`.
        public static let invalidLabelName = Code(rawValue: 2)
        /// The same label name appears twice in one series.
        public static let duplicateLabelName = Code(rawValue: 3)
        /// The family is already registered as another type (counter vs gauge).
        public static let typeMismatch = Code(rawValue: 4)
        /// The family is already registered with another help text.
        public static let helpMismatch = Code(rawValue: 5)
        /// The family is already registered with another set of label names.
        public static let labelNamesMismatch = Code(rawValue: 6)

        public var description: String {
            switch self {
            case .invalidName: "invalid metric name"
            case .invalidLabelName: "invalid label name"
            case .duplicateLabelName: "duplicate label name"
            case .typeMismatch: "metric type mismatch"
            case .helpMismatch: "help text mismatch"
            case .labelNamesMismatch: "label names mismatch"
            default: "metrics error \(self.rawValue)"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// The metric family concerned.
    public var name: String
    /// Human-readable detail.
    public var detail: String

    public init(_ code: Code, name: String, _ detail: String) {
        self.code = code
        self.name = name
        self.detail = detail
    }

    public var description: String { "\(self.code) for metric '\(self.name)': \(self.detail)" }
}
