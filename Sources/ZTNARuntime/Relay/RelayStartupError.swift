/// Why the relay cannot start or reload: a one-line message that names the file, key or flag to fix.
public struct RelayStartupError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
