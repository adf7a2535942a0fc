import Foundation

/// Reads and strictly decodes a configuration file, turning every failure into a one-line `ConfigError`
/// that names the file and the key path.
public enum ConfigLoader {
    /// Reads `path` and decodes it as `type`.
    public static func load<Config: Decodable>(_ type: Config.Type, path: String) throws(ConfigError) -> Config {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw ConfigError(kind: .unreadable, file: path, keyPath: "", message: reason)
        }
        return try decode(type, from: Array(data), file: path)
    }

    /// Decodes JSON bytes as `type`; `file` names the source in errors.
    public static func decode<Config: Decodable>(
        _ type: Config.Type, from json: [UInt8], file: String
    ) throws(ConfigError) -> Config {
        do {
            return try JSONDecoder().decode(type, from: Data(json))
        } catch let issue as ConfigIssue {
            throw ConfigError(kind: issue.kind, file: file, keyPath: formatKeyPath(issue.path), message: issue.message)
        } catch let error as DecodingError {
            throw convert(error, file: file)
        } catch {
            throw ConfigError(kind: .syntax, file: file, keyPath: "", message: "\(error)")
        }
    }

    // MARK: - DecodingError → ConfigError

    static func convert(_ error: DecodingError, file: String) -> ConfigError {
        switch error {
        case .keyNotFound(let key, let context):
            return ConfigError(kind: .missingKey, file: file, keyPath: formatKeyPath(context.codingPath + [key]), message: "missing")
        case .typeMismatch(let type, let context):
            return ConfigError(
                kind: .wrongType, file: file, keyPath: formatKeyPath(context.codingPath), message: "expected \(jsonType(type))")
        case .valueNotFound(let type, let context):
            return ConfigError(
                kind: .wrongType, file: file, keyPath: formatKeyPath(context.codingPath),
                message: "expected \(jsonType(type)), found null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
                return ConfigError(kind: .syntax, file: file, keyPath: "", message: "not valid JSON: \(detail)")
            }
            return ConfigError(
                kind: .invalidValue, file: file, keyPath: formatKeyPath(context.codingPath), message: context.debugDescription)
        @unknown default:
            return ConfigError(kind: .syntax, file: file, keyPath: "", message: "\(error)")
        }
    }

    /// The JSON word for a Swift type named in a `typeMismatch`.
    static func jsonType(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Array") || name.hasPrefix("[") && !name.contains(":") { return "an array" }
        if name.hasPrefix("Dictionary") || name.hasPrefix("[") { return "an object" }
        if name == "String" { return "a string" }
        if name == "Bool" { return "true or false" }
        if name.hasPrefix("Int") || name.hasPrefix("UInt") || name == "Double" { return "a number" }
        return name
    }
}
