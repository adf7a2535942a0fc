/// A configuration file that cannot be used, with the file and the key path (`services[1].virtualIP`)
/// that an operator must fix (STYLE.md rule 14). One line, e.g.
/// `relay.json: unknown key "identity.privatekey"` or `agent.json: services[1].virtualIP: not an IP address`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A key this version does not know (typos are errors, not silently ignored: DESIGN.md §5).
        case unknownKey
        /// A required key is absent.
        case missingKey
        /// A value has the wrong JSON type.
        case wrongType
        /// A value has the right type but is not acceptable (range, syntax, reference).
        case invalidValue
        /// The file is not JSON.
        case syntax
        /// The file cannot be read.
        case unreadable
    }

    public let kind: Kind
    /// The file as given (a path).
    public let file: String
    /// Dotted key path with array indices, e.g. `services[1].virtualIP`; empty for the whole file.
    public let keyPath: String
    public let message: String

    public init(kind: Kind, file: String, keyPath: String, message: String) {
        self.kind = kind
        self.file = file
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        switch kind {
        case .unknownKey: "\(file): unknown key \"\(keyPath)\""
        case .missingKey: "\(file): missing key \"\(keyPath)\""
        default: keyPath.isEmpty ? "\(file): \(message)" : "\(file): \(keyPath): \(message)"
        }
    }
}
