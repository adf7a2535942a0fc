import Foundation
import Testing
@testable import ZTNAConfig

@Suite struct ConfigLocatorTests {
    func directory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ztna-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    @Test func explicitWinsEvenWhenMissing() throws {
        let system = try directory()
        #expect(FileManager.default.createFile(atPath: system + "/relay.json", contents: Data("{}".utf8)))
        #expect(ConfigLocator.find(role: .relay, explicit: "/nowhere/r.json", systemDirectory: system, workingDirectory: system)
            == "/nowhere/r.json")
        let error = #expect(throws: ConfigError.self) { try RelayConfig.load(path: "/nowhere/r.json") }
        #expect(error?.description == "/nowhere/r.json: no such file")
    }

    @Test func systemDirectoryBeforeWorkingDirectory() throws {
        let system = try directory()
        let working = try directory()
        #expect(FileManager.default.createFile(atPath: working + "/agent.json", contents: Data("{}".utf8)))
        #expect(ConfigLocator.find(role: .agent, explicit: nil, systemDirectory: system, workingDirectory: working)
            == working + "/agent.json")
        #expect(FileManager.default.createFile(atPath: system + "/agent.json", contents: Data("{}".utf8)))
        #expect(ConfigLocator.find(role: .agent, explicit: nil, systemDirectory: system, workingDirectory: working)
            == system + "/agent.json")
        #expect(ConfigLocator.find(role: .connector, explicit: nil, systemDirectory: system, workingDirectory: working) == nil)
    }

    @Test func loadsAFileAndNamesItInErrors() throws {
        let dir = try directory()
        let path = dir + "/connector.json"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(#"{ "listen": "0.0.0.0:5000" }"#.utf8)))
        #expect(try ConnectorConfig.load(path: path).listen.port == 5000)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(#"{ "listn": 1 }"#.utf8)))
        let error = #expect(throws: ConfigError.self) { try ConnectorConfig.load(path: path) }
        #expect(error?.description == "\(path): unknown key \"listn\"")
    }
}
