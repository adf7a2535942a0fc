import Foundation
import IPPacket
import Testing
import ZTNAProtocol
@testable import ZTNARuntime

@Suite("Probe report: verdict, text and JSON shape")
struct TunnelProbeReportTests {
    let t0 = ContinuousClock.now

    static func options(_ change: (inout TunnelProbeOptions) -> Void = { _ in }) -> TunnelProbeOptions {
        var options = TunnelProbeOptions(service: ServiceID("echo")!, virtualIP: ProbeReplyMatcherTests.vip,
                                         tunnelAddress: ProbeReplyMatcherTests.tunnel)
        options.sourcePort = 50_000
        options.size = 32
        options.count = 4
        change(&options)
        return options
    }

    static func matcher(for options: TunnelProbeOptions) -> ProbeReplyMatcher {
        ProbeReplyMatcher(virtualIP: options.virtualIP, servicePort: options.port, tunnelAddress: options.tunnelAddress,
                          sourcePort: options.sourcePort, payload: ProbePayload(pattern: options.pattern, seed: options.seed),
                          capacity: options.capacity, timedSequences: 0..<UInt64(options.count))
    }

    /// Sends `0..<sent` and answers `answered` (1 ms each), as the runner would have recorded them.
    func run(_ options: TunnelProbeOptions, sent: Int, answered: [UInt64], record: ProbeRunRecord = ProbeRunRecord())
        -> TunnelProbeReport {
        var matcher = Self.matcher(for: options)
        for sequence in 0..<UInt64(sent) { matcher.recordSent(sequence: sequence, size: options.size, at: t0) }
        for sequence in answered {
            let body = ProbePayload(pattern: options.pattern, seed: options.seed).make(sequence: sequence, size: options.size)
            matcher.handle(ProbeReplyMatcherTests.reply(sequence, body: body), at: t0 + .milliseconds(1))
        }
        return TunnelProbeReport(options: options, record: record, matcher: matcher)
    }

    // MARK: - Verdict

    @Test func everyReplyIntactPassesVerification() {
        let report = run(Self.options { $0.verifyEcho = true }, sent: 4, answered: [0, 1, 2, 3])
        #expect(report.passed && report.exitCode == 0 && report.failures.isEmpty)
        #expect(report.sent == 4 && report.received == 4 && report.lost == 0)
        #expect(report.description.contains("verified"))
    }

    @Test func missingAndDuplicatedRepliesFailVerificationAndAreListed() {
        let report = run(Self.options { $0.verifyEcho = true }, sent: 4, answered: [0, 2, 2])
        #expect(!report.passed && report.exitCode == 1)
        #expect(report.missingSequences == [1, 3])
        #expect(report.duplicatedSequences == [2])
        #expect(report.failures.contains { $0.contains("2 of 4 packets got no reply (sequence 1, 3)") })
        #expect(report.failures.contains { $0.contains("answered more than once (sequence 2)") })
        #expect(report.description.contains("FAILED"))
    }

    @Test func withoutVerifyEchoOneReplyIsEnoughAndNoneFails() {
        #expect(run(Self.options(), sent: 4, answered: [3]).passed)
        let silent = run(Self.options(), sent: 4, answered: [])
        #expect(!silent.passed && silent.exitCode == 1)
        #expect(silent.failures == ["no reply came back within 5s of the last packet"])
    }

    @Test func sendErrorsFailTheRun() {
        var record = ProbeRunRecord()
        record.errors = ["packet 2 not sent: notConnected"]
        let report = run(Self.options(), sent: 2, answered: [0, 1], record: record)
        #expect(!report.passed)
        #expect(report.errors == record.errors && report.failures.first == record.errors[0])
    }

    @Test func maxSizeChecksMustSendAtTheLimitAndRefuseOneMore() {
        let options = Self.options { $0.queryMaxSize = true; $0.count = 0 }
        var record = ProbeRunRecord()
        record.maxDatagramPayload = 1_300
        record.atMaximum = .init(size: 1_272, sent: true)
        record.oneLarger = .init(size: 1_273, sent: false, refusedAsTooLarge: true, error: "tooLarge(maximum: 1300)")
        let good = run(options, sent: 0, answered: [], record: record)
        #expect(good.passed)
        #expect(good.maxSize?.maxUDPPayload == 1_272 && good.maxSize?.oneLarger?.refusedLocally == true)

        record.oneLarger = .init(size: 1_273, sent: true)
        let leaky = run(options, sent: 0, answered: [], record: record)
        #expect(!leaky.passed)
        #expect(leaky.failures.contains { $0.contains("sent instead of refused locally") })
    }

    @Test func withVerifyEchoTheMaxSizePacketMustComeBack() {
        let options = Self.options { $0.queryMaxSize = true; $0.verifyEcho = true; $0.count = 0; $0.size = 1_272 }
        var record = ProbeRunRecord()
        record.maxDatagramPayload = 1_300
        record.atMaximum = .init(size: 1_272, sent: true)
        record.oneLarger = .init(size: 1_273, refusedAsTooLarge: true)
        // Sequence 0 is the max-size packet when count and burst are 0.
        #expect(run(options, sent: 1, answered: [0], record: record).passed)
        let unanswered = run(options, sent: 1, answered: [], record: record)
        #expect(unanswered.failures.contains { $0.contains("was not echoed intact") })
    }

    @Test func burstLossIsReportedNotJudgedWithoutVerifyEcho() throws {
        let options = Self.options { $0.count = 2; $0.burst = 4 }
        let report = run(options, sent: 6, answered: [0, 1, 2, 3])
        let burst = try #require(report.burst)
        #expect(burst.sent == 4 && burst.received == 2 && burst.lossPercent == 50)
        #expect(report.passed)
        var verified = options
        verified.verifyEcho = true
        #expect(!run(verified, sent: 6, answered: [0, 1, 2, 3]).passed)
    }

    // MARK: - JSON shape

    @Test func jsonHasTheDocumentedKeys() throws {
        var record = ProbeRunRecord()
        record.handshake = .milliseconds(120)
        record.maxDatagramPayload = 1_300
        record.atMaximum = .init(size: 1_272, sent: true)
        record.oneLarger = .init(size: 1_273, refusedAsTooLarge: true, error: "tooLarge(maximum: 1300)")
        let options = Self.options {
            $0.measureRTT = true; $0.measureHandshake = true; $0.burst = 2; $0.queryMaxSize = true
        }
        let report = run(options, sent: 6, answered: [0, 1, 2, 3, 4, 5], record: record)
        let text = report.jsonText()
        #expect(!text.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for key in ["target", "size", "pattern", "intervalMilliseconds", "timeoutMilliseconds", "sent", "received", "lost",
                    "lossPercent", "anomalies", "verifyEcho", "missingSequences", "duplicatedSequences",
                    "corruptedSequences", "rtt", "handshakeMilliseconds", "burst", "maxSize", "errors", "passed", "failures"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let target = try #require(object["target"] as? [String: Any])
        #expect(target["service"] as? String == "echo" && target["virtualIP"] as? String == "10.100.0.1")
        #expect(target["port"] as? Int == 7 && target["sourcePort"] as? Int == 50_000)
        let rtt = try #require(object["rtt"] as? [String: Any])
        #expect(Set(rtt.keys) == ["samples", "minimum", "median", "p95", "p99", "maximum"])
        #expect(rtt["median"] as? Double == 1)
        #expect(object["handshakeMilliseconds"] as? Double == 120)
        let anomalies = try #require(object["anomalies"] as? [String: Any])
        #expect(Set((anomalies["foreign"] as? [String: Int] ?? [:]).keys) == ["malformed", "notUDP", "wrongAddress", "wrongPort"])
        let maxSize = try #require(object["maxSize"] as? [String: Any])
        #expect(maxSize["maxUDPPayload"] as? Int == 1_272 && maxSize["passed"] as? Bool == true)
        #expect(object["passed"] as? Bool == true)
        // Round trip.
        #expect(try JSONDecoder().decode(TunnelProbeReport.self, from: Data(text.utf8)) == report)
    }

    @Test func sectionsNotAskedForAreAbsent() throws {
        let text = run(Self.options(), sent: 4, answered: [0, 1, 2, 3]).jsonText()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for key in ["rtt", "handshakeMilliseconds", "burst", "maxSize"] { #expect(object[key] == nil, "\(key) present") }
    }

    @Test func textReportNamesEveryMeasurement() {
        var record = ProbeRunRecord()
        record.handshake = .milliseconds(120)
        let options = Self.options { $0.measureRTT = true; $0.measureHandshake = true; $0.burst = 2 }
        let text = run(options, sent: 6, answered: [0, 1, 2, 3, 4, 5], record: record).description
        #expect(text.contains("probe echo 10.100.0.1:7 from 10.100.0.254:50000"))
        #expect(text.contains("sent 6, received 6, lost 0 (0.0%)"))
        #expect(text.contains("rtt: min 1.000 ms, median 1.000 ms"))
        #expect(text.contains("handshake: 120.0 ms"))
        #expect(text.contains("burst: 2 sent back to back, 2 replies"))
    }

    @Test func ipv6AddressesAreWrittenCompressed() {
        let options = Self.options {
            $0.virtualIP = .v6(IPv6Address("fd00::5")!)
            $0.tunnelAddress = .v6(IPv6Address("fd00::fffe")!)
        }
        let report = run(options, sent: 1, answered: [])
        #expect(report.target.virtualIP == "fd00::5" && report.target.tunnelAddress == "fd00::fffe")
        #expect(report.description.hasPrefix("probe echo [fd00::5]:7 from [fd00::fffe]:50000"))
    }

    @Test(arguments: [(0.0, 1, "0.0"), (12.346, 2, "12.35"), (0.05, 1, "0.1"), (100, 0, "100"), (-1.25, 1, "-1.3"),
                      (1.005, 3, "1.005")])
    func fixedDecimals(_ value: Double, _ digits: Int, _ text: String) {
        #expect(TunnelProbeReport.fixed(value, digits) == text)
    }
}
