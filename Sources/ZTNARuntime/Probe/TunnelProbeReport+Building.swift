import IPPacket
import ZTNAConfig
import ZTNAProtocol

// MARK: - Building a report and deciding whether the run passed

extension TunnelProbeReport {
    /// The report of a run: counts and lists from `matcher`, measurements asked for in `options`, and the
    /// verdict.
    ///
    /// Passing rules (the exit status): sending must not have failed; with `verifyEcho` every packet sent —
    /// paced, burst and the max-size packet — must come back exactly once with the bytes sent, and no reply may
    /// name a packet never sent; without it at least one reply must have come back; with `queryMaxSize` the
    /// packet of the largest size must be sent (and echoed, with `verifyEcho`) and the one a byte larger must be
    /// refused locally. Measurements (`measureRTT`, `measureHandshake`, the burst's loss) are reported, not judged.
    init(options: TunnelProbeOptions, record: ProbeRunRecord, matcher: ProbeReplyMatcher) {
        let all = matcher.outcome(of: 0..<UInt64(options.capacity))
        let limit = Self.listedSequencesLimit
        var foreign: [String: Int] = [:]
        for reason in ProbeReplyMatcher.ForeignReason.allCases { foreign[reason.rawValue] = matcher.foreign[reason] ?? 0 }
        self.init(
            target: Target(service: options.service.description, virtualIP: Self.text(options.virtualIP),
                           port: Int(options.port), tunnelAddress: Self.text(options.tunnelAddress),
                           sourcePort: Int(options.sourcePort)),
            size: options.size, pattern: options.pattern,
            intervalMilliseconds: ProbeRTTSummary.milliseconds(options.interval),
            timeoutMilliseconds: ProbeRTTSummary.milliseconds(options.timeout),
            sent: all.sent, received: all.answered, lost: all.lost, lossPercent: all.lossPercent,
            anomalies: Anomalies(duplicates: matcher.duplicateReplies, corrupted: matcher.corruptedReplies,
                                 unexpected: matcher.unexpectedReplies, foreign: foreign),
            verifyEcho: options.verifyEcho,
            missingSequences: Array(all.missing.prefix(limit)), duplicatedSequences: Array(all.duplicated.prefix(limit)),
            corruptedSequences: Array(all.corrupted.prefix(limit)),
            rtt: options.measureRTT ? ProbeRTTSummary(samples: matcher.roundTrips) : nil,
            handshakeMilliseconds: options.measureHandshake ? record.handshake.map(ProbeRTTSummary.milliseconds) : nil,
            burst: options.burst > 0 ? Self.burst(options, matcher) : nil,
            maxSize: options.queryMaxSize ? Self.maxSize(options, record, matcher) : nil,
            errors: record.errors, passed: false, failures: [])
        path = record.path
        datagramsDropped = record.datagramsDropped
        packetsLost = record.packetsLost
        failures = Self.failures(options: options, all: all, report: self)
        passed = failures.isEmpty
    }

    // MARK: - Sections

    private static func burst(_ options: TunnelProbeOptions, _ matcher: ProbeReplyMatcher) -> Burst {
        let outcome = matcher.outcome(of: UInt64(options.count)..<UInt64(options.count + options.burst))
        return Burst(sent: outcome.sent, received: outcome.answered, lossPercent: outcome.lossPercent)
    }

    private static func maxSize(_ options: TunnelProbeOptions, _ record: ProbeRunRecord,
                                _ matcher: ProbeReplyMatcher) -> MaxSize {
        let sequence = options.maximumSizeSequence
        let atMaximum = record.atMaximum.map { check(sequence, $0, matcher) }
        let oneLarger = record.oneLarger.map { check(sequence + 1, $0, matcher) }
        var passed = false
        if let atMaximum, let oneLarger {
            passed = atMaximum.sent && (!options.verifyEcho || atMaximum.echoed)
                && !oneLarger.sent && oneLarger.refusedLocally
        }
        return MaxSize(maxDatagramPayload: record.maxDatagramPayload,
                       maxUDPPayload: record.maxDatagramPayload.map { $0 - options.headerOverhead },
                       atMaximum: atMaximum, oneLarger: oneLarger, passed: passed)
    }

    private static func check(_ sequence: UInt64, _ check: ProbeRunRecord.SizeCheck,
                              _ matcher: ProbeReplyMatcher) -> SizeCheck {
        SizeCheck(size: check.size, sent: check.sent, echoed: check.sent && matcher.wasEchoed(sequence),
                  refusedLocally: check.refusedAsTooLarge, error: check.error)
    }

    // MARK: - Verdict

    private static func failures(options: TunnelProbeOptions, all: ProbeOutcome, report: TunnelProbeReport) -> [String] {
        var failures = report.errors
        if options.verifyEcho {
            if !all.missing.isEmpty {
                failures.append("\(all.missing.count) of \(all.sent) packets got no reply (sequence \(list(all.missing)))")
            }
            if !all.duplicated.isEmpty {
                failures.append("\(all.duplicated.count) packets were answered more than once (sequence \(list(all.duplicated)))")
            }
            if report.anomalies.corrupted > 0 {
                let which = all.corrupted.isEmpty ? "" : " (sequence \(list(all.corrupted)))"
                failures.append("\(report.anomalies.corrupted) replies differ from what was sent\(which)")
            }
            if report.anomalies.unexpected > 0 {
                failures.append("\(report.anomalies.unexpected) replies answer packets that were never sent")
            }
        } else if all.sent > 0 && all.answered == 0 {
            failures.append("no reply came back within \(ProbeDuration.format(options.timeout)) of the last packet")
        }
        if let maxSize = report.maxSize, !maxSize.passed {
            failures.append(contentsOf: maxSizeFailures(maxSize, verifyEcho: options.verifyEcho))
        }
        return failures
    }

    private static func maxSizeFailures(_ maxSize: MaxSize, verifyEcho: Bool) -> [String] {
        guard let atMaximum = maxSize.atMaximum, let oneLarger = maxSize.oneLarger else {
            return ["the maximum-size check did not run"]
        }
        var failures: [String] = []
        if !atMaximum.sent {
            failures.append("the packet of the largest size (\(atMaximum.size) bytes) was not sent: \(atMaximum.error ?? "unknown")")
        } else if verifyEcho && !atMaximum.echoed {
            failures.append("the packet of the largest size (\(atMaximum.size) bytes) was not echoed intact")
        }
        if oneLarger.sent {
            failures.append("the packet one byte larger (\(oneLarger.size) bytes) was sent instead of refused locally")
        } else if !oneLarger.refusedLocally {
            failures.append("the packet one byte larger (\(oneLarger.size) bytes) failed for another reason: \(oneLarger.error ?? "unknown")")
        }
        return failures
    }

    /// An address as configuration writes it (`fd00::1`, not `fd00:0:0:0:0:0:0:1`).
    private static func text(_ address: IPAddress) -> String {
        IPAddressLiteral(address.description)?.description ?? address.description
    }

    /// The first few sequence numbers, for a one-line failure.
    private static func list(_ sequences: [UInt64]) -> String {
        let shown = sequences.prefix(10).map(String.init).joined(separator: ", ")
        return sequences.count > 10 ? shown + ", …" : shown
    }
}
