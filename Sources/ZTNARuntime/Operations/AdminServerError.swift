// MARK: - AdminServerError

/// Why the admin HTTP server could not be configured or run.
public struct AdminServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, extensible without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let rawValue: UInt8

        /// The host is not an IP literal (or `localhost`); the admin server does not resolve names, so what it
        /// binds is exactly what the operator wrote.
        public static let invalidAddress = Code(rawValue: 1)
        /// The port is outside 0…65535.
        public static let invalidPort = Code(rawValue: 2)
        /// A non-loopback address without `allowNonLoopback: true`: the admin API exposes status and
        /// metrics unauthenticated, so leaving loopback must be an explicit operator decision.
        public static let nonLoopbackRefused = Code(rawValue: 3)
        /// The HTTP server failed (for example the address is in use).
        public static let serverFailed = Code(rawValue: 4)
        /// The server is not running: it stopped (normally), or before it listened, or the waiter was cancelled.
        public static let stopped = Code(rawValue: 5)

        public var description: String {
            switch self {
            case .invalidAddress: "invalid admin address"
            case .invalidPort: "invalid admin port"
            case .nonLoopbackRefused: "non-loopback admin address refused"
            case .serverFailed: "admin server failed"
            case .stopped: "admin server not running"
            default: "admin server error \(self.rawValue)"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// Human-readable detail (the address concerned, the underlying error).
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(self.code): \(self.detail)" }
}
