/// Why a daemon (relay, connector, agent) cannot start or reload: a one-line message that names the file, key or flag to fix.
public struct StartupError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
