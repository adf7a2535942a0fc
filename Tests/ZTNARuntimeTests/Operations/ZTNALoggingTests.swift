import Logging
import Testing
@testable import ZTNARuntime

@Suite("ZTNALogging bootstrap and level selection")
struct ZTNALoggingTests {
    @Test func flagWinsOverEnvironment() throws {
        let level = try ZTNALogging.level(flag: "debug", environment: ["ZTNA_LOG_LEVEL": "error"])
        #expect(level == .debug)
    }

    @Test func environmentIsUsedWithoutFlag() throws {
        #expect(try ZTNALogging.level(flag: nil, environment: ["ZTNA_LOG_LEVEL": "TRACE"]) == .trace)
        #expect(try ZTNALogging.level(flag: nil, environment: ["ZTNA_LOG_LEVEL": "warn"]) == .warning)
    }

    @Test func defaultIsInfo() throws {
        #expect(try ZTNALogging.level(flag: nil, environment: [:]) == .info)
        #expect(try ZTNALogging.level(flag: nil, environment: ["ZTNA_LOG_LEVEL": ""]) == .info)
    }

    @Test func everySwiftLogLevelParses() {
        for level in Logger.Level.allCases {
            #expect(ZTNALogging.parseLevel(level.rawValue) == level)
        }
    }

    @Test func invalidLevelsNameTheirSource() {
        let fromFlag = #expect(throws: LogLevelError.self) {
            try ZTNALogging.level(flag: "verbose", environment: [:])
        }
        #expect(fromFlag == LogLevelError(value: "verbose", source: "--log-level"))
        let fromEnvironment = #expect(throws: LogLevelError.self) {
            try ZTNALogging.level(flag: nil, environment: ["ZTNA_LOG_LEVEL": "loud"])
        }
        #expect(fromEnvironment == LogLevelError(value: "loud", source: "ZTNA_LOG_LEVEL"))
        #expect(fromEnvironment?.description.contains("critical") == true)
    }

    @Test func bootstrapInstallsTheHandlerOnce() {
        ZTNALogging.bootstrap(level: .notice, format: .text)
        #expect(ZTNALogging.bootstrap(level: .trace, format: .json) == false)
        let handler = Logger(label: "connector").handler as? ZTNALogHandler
        #expect(handler?.label == "connector")
        #expect(handler?.format == .text)
        #expect(handler?.logLevel == .notice)
    }
}
