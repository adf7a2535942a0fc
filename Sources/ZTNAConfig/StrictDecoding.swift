import ZTNAProtocol

/// Strict decoding support. Every config type's `init(from:)` starts with `rejectUnknownKeys`, so an
/// unknown key at any depth is an error with its full path, and semantic checks throw `ConfigIssue`
/// with the path of the offending value. `ConfigLoader` turns both (and `DecodingError`s) into a
/// `ConfigError` naming the file.

// MARK: - Issues

/// A problem found while decoding, before the file name is known.
struct ConfigIssue: Error {
    var kind: ConfigError.Kind
    var path: [any CodingKey]
    var message: String

    static func invalid(_ path: [any CodingKey], _ message: String) -> ConfigIssue {
        ConfigIssue(kind: .invalidValue, path: path, message: message)
    }
}

/// Any key: for listing a container's keys and for building paths with array indices.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
    init(_ string: String) { self.init(stringValue: string) }
    init(index: Int) { self.init(intValue: index) }
}

/// `services[1].virtualIP`.
func formatKeyPath(_ path: [any CodingKey]) -> String {
    var text = ""
    for key in path {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text
}

// MARK: - Decoder helpers

extension Decoder {
    /// Throws `unknownKey` for the first (alphabetically, for stable messages) key of this object that
    /// `Keys` does not name. Keys are case-sensitive: `privatekey` is not `privateKey`.
    func rejectUnknownKeys<Keys: CodingKey>(_: Keys.Type) throws {
        let container = try self.container(keyedBy: AnyKey.self)
        let unknown = container.allKeys.map(\.stringValue).filter { Keys(stringValue: $0) == nil }.sorted()
        if let first = unknown.first {
            throw ConfigIssue(kind: .unknownKey, path: codingPath + [AnyKey(first)], message: "unknown key")
        }
    }
}

extension KeyedDecodingContainer {
    /// The path of `key` inside this container.
    func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    /// A port number 1–65535.
    func decodePort(forKey key: Key) throws -> UInt16 {
        let value = try decode(Int.self, forKey: key)
        guard (1...65_535).contains(value) else { throw ConfigIssue.invalid(path(key), "must be 1–65535, not \(value)") }
        return UInt16(value)
    }

    /// A non-empty string, if present.
    func decodeNonEmptyIfPresent(forKey key: Key) throws -> String? {
        guard let value = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard !value.isEmpty else { throw ConfigIssue.invalid(path(key), "must not be empty") }
        return value
    }
}

extension SingleValueDecodingContainer {
    /// Throws an `invalidValue` issue at this value's path.
    func invalid(_ message: String) -> ConfigIssue { ConfigIssue.invalid(codingPath, message) }
}

// MARK: - Service ids

extension KeyedDecodingContainer {
    /// A `ServiceID` (DESIGN.md §3), written as a string.
    func decodeServiceID(forKey key: Key) throws -> ServiceID {
        let text = try decode(String.self, forKey: key)
        guard let id = ServiceID(text) else {
            throw ConfigIssue.invalid(
                path(key), "\"\(text)\" is not a service id (1–63 of a-z, 0-9, '-', not starting or ending with '-')")
        }
        return id
    }
}
