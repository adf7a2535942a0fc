import Logging
import Synchronization
import Testing
@testable import ZTNARuntime

@Suite("ZTNALogHandler line format")
struct ZTNALogHandlerTests {
    /// 2026-11-25T05:00:00.123Z
    static let fixedTime = WallTime(seconds: 1_795_582_800, milliseconds: 123)

    /// A logger whose handler writes into `lines` at `fixedTime`.
    private func capturingLogger(
        label: String = "relay",
        level: Logger.Level = .info,
        format: LogFormat = .text,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> (Logger, CapturedLines) {
        let lines = CapturedLines()
        let output = LogOutput(now: { Self.fixedTime }, write: { line in lines.append(line) })
        let handler = ZTNALogHandler(
            label: label, level: level, format: format, metadataProvider: metadataProvider, output: output)
        return (Logger(label: label) { _ in handler }, lines)
    }

    @Test func textLineHasTimestampLevelLabelMessageAndSortedKeys() {
        let (logger, lines) = self.capturingLogger()
        logger.info("registered connector", metadata: ["service": "web app", "peer": "10.0.0.1:4433", "attempt": "2"])
        #expect(lines.all == [
            "2026-11-25T05:00:00.123Z info relay: registered connector attempt=2 peer=10.0.0.1:4433 service=\"web app\"\n",
        ])
    }

    @Test func levelBelowTheThresholdIsNotWritten() {
        let (logger, lines) = self.capturingLogger(level: .notice)
        logger.info("quiet")
        logger.debug("quieter")
        logger.warning("loud")
        #expect(lines.all == ["2026-11-25T05:00:00.123Z warning relay: loud\n"])
    }

    @Test func valuesThatWouldBreakKeyValueParsingAreQuotedAndEscaped() {
        let (logger, lines) = self.capturingLogger()
        logger.error("bad\nthing", metadata: [
            "empty": "", "equals": "a=b", "quote": "say \"hi\"", "newline": "x\ny", "plain": "ok",
        ])
        #expect(lines.all == [
            "2026-11-25T05:00:00.123Z error relay: bad\\nthing empty=\"\" equals=\"a=b\" newline=\"x\\ny\" plain=ok quote=\"say \\\"hi\\\"\"\n",
        ])
    }

    @Test func metadataMergesHandlerProviderAndEventInThatOrder() {
        let provider = Logger.MetadataProvider { ["conn": "7", "shared": "provider"] }
        var (logger, lines) = self.capturingLogger(metadataProvider: provider)
        logger[metadataKey: "role"] = "relay"
        logger[metadataKey: "shared"] = "handler"
        logger.notice("event", metadata: ["shared": "event"])
        #expect(lines.all == [
            "2026-11-25T05:00:00.123Z notice relay: event conn=7 role=relay shared=event\n",
        ])
    }

    @Test func jsonLineIsOneSortedObject() {
        let (logger, lines) = self.capturingLogger(label: "agent", format: .json)
        logger.info("tunnel \"up\"", metadata: ["path": "direct", "rtt": ["ms": "12"], "list": ["a", "b"]])
        #expect(lines.all == [
            #"{"label":"agent","level":"info","metadata":{"list":["a","b"],"path":"direct","rtt":{"ms":"12"}},"#
                + #""msg":"tunnel \"up\"","ts":"2026-11-25T05:00:00.123Z"}"# + "\n",
        ])
    }

    // MARK: - Timestamps

    @Test(arguments: [
        (Int64(0), Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(951_868_799), Int64(999), "2000-02-29T23:59:59.999Z"),
        (Int64(4_107_542_400), Int64(7), "2100-03-01T00:00:00.007Z"),
        (Int64(-1), Int64(500), "1969-12-31T23:59:59.500Z"),
    ])
    func timestampsAreRFC3339UTCWithMilliseconds(seconds: Int64, milliseconds: Int64, expected: String) {
        #expect(LogLineFormatter.timestamp(WallTime(seconds: seconds, milliseconds: milliseconds)) == expected)
    }
}

/// Lines written by a capturing handler.
final class CapturedLines: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        self.lines.withLock { $0.append(line) }
    }

    var all: [String] {
        self.lines.withLock { $0 }
    }
}
