import Foundation
import Testing
@testable import ZTNAConfig

/// Decodes `json` as `Config`, expecting failure; returns the error's one-line description.
func configError<Config: Decodable>(_ type: Config.Type, _ json: String, file: String = "test.json") -> ConfigError? {
    #expect(throws: ConfigError.self) { try ConfigLoader.decode(type, from: Array(json.utf8), file: file) }
    do {
        _ = try ConfigLoader.decode(type, from: Array(json.utf8), file: file)
        return nil
    } catch {
        return error
    }
}

func decode<Config: Decodable>(_ type: Config.Type, _ json: String) throws -> Config {
    try ConfigLoader.decode(type, from: Array(json.utf8), file: "test.json")
}

enum JSONEncoderForTests {
    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
