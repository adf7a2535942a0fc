import Foundation

// MARK: - Output: the table and the JSON line

extension RelayBenchReport {
    /// One line of JSON (keys sorted, so runs diff cleanly).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The human-readable report: measurement, figure, then target and context.
    public var table: String {
        var lines: [String] = []
        func row(_ name: String, _ value: String, _ note: String = "") {
            lines.append(name.padding(toLength: 50, withPad: " ", startingAt: 0)
                + value.padding(toLength: 20, withPad: " ", startingAt: 0) + note)
        }
        func verdict(_ target: String, _ verdict: Verdict) -> String { "target \(target): \(verdict.rawValue)" }

        lines.append("relay benchmark: `ztna relay` as a child process on loopback, \(cores) cores shared with the load generator; relay retry=\(retry)")
        row("measurement", "relay", "target / context")
        for entry in forwarding {
            let size = entry.payloadBytes == entry.requestedPayloadBytes
                ? "\(entry.payloadBytes) B" : "\(entry.payloadBytes) B (asked \(entry.requestedPayloadBytes))"
            row("relayed DATAGRAMs/s, \(size)", Self.integer(entry.forwardedPerSecond),
                "to connectors \(Self.integer(Double(entry.toConnectors) / entry.seconds))/s + to agents "
                    + "\(Self.integer(Double(entry.toAgents) / entry.seconds))/s; \(entry.pairs) pairs × \(entry.window) outstanding")
            row("  relay CPU-s in \(String(format: "%.2f", entry.seconds)) s", String(format: "%.2f", entry.relayCPUSeconds),
                String(format: "%.2f cores busy; load generator %.2f", entry.relayCPUSeconds / entry.seconds,
                       entry.loadGeneratorCPUSeconds / entry.seconds) + Self.others(entry.otherCPUSeconds, entry.seconds))
            row("  QUIC packets/s into / out of the relay",
                "\(Self.integer(entry.relayPacketsInPerSecond)) / \(Self.integer(entry.relayPacketsOutPerSecond))",
                String(format: "%.2f datagrams per packet out", Double(entry.toConnectors + entry.toAgents)
                       / entry.seconds / max(entry.relayPacketsOutPerSecond, 1)))
            var perCoreNote = ""
            if let target = entry.target, let outcome = entry.verdict {
                perCoreNote = verdict("≥ \(Self.integer(target))", outcome)
            }
            row("  DATAGRAMs/s per relay core", entry.forwardedPerRelayCPUSecond.map(Self.integer) ?? "-", perCoreNote)
            let difference = entry.relayCounted - entry.benchCounted
            var check = "bench received \(entry.benchCounted) (relay − bench = \(difference))"
            if !entry.relayDrops.isEmpty {
                check += "; relay drops: " + entry.relayDrops.sorted { $0.key < $1.key }
                    .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            if entry.stallRefills > 0 { check += "; \(entry.stallRefills) stalled windows refilled" }
            row("  ztna_relayed_datagrams_total growth", "\(entry.relayCounted)", check)
        }
        if let latency {
            let added = { (relayed: Double?, direct: Double?) -> String in
                guard let relayed, let direct else { return "" }
                return String(format: "direct QUIC echo %.1f µs → relay adds %+.1f µs", direct, relayed - direct)
            }
            row("echo RTT median via relay, \(latency.payloadBytes) B (µs)", Self.decimal(latency.relayedMedianMicroseconds),
                added(latency.relayedMedianMicroseconds, latency.directMedianMicroseconds))
            row("echo RTT p99 via relay, \(latency.payloadBytes) B (µs)", Self.decimal(latency.relayedP99Microseconds),
                added(latency.relayedP99Microseconds, latency.directP99Microseconds))
            if latency.relayedLost + latency.directLost > 0 {
                row("  echoes lost (relayed / direct)", "\(latency.relayedLost) / \(latency.directLost)")
            }
        }
        for entry in idle {
            row("relay RSS per idle connection, \(Self.integer(Double(entry.connections))) (KiB)",
                String(format: "%.1f", entry.perConnectionKiB),
                verdict("≤ \(Self.integer(entry.target))", entry.verdict)
                    + "; RSS \(Self.integer(Double(entry.rssBeforeKiB))) → \(Self.integer(Double(entry.rssAfterKiB))) KiB, "
                    + "relay reports \(entry.relayAgentConnections) agents, opened in \(String(format: "%.1f", entry.openSeconds)) s")
        }
        if let handshakes {
            row("handshakes accepted/s (\(handshakes.concurrency) in flight)", Self.integer(handshakes.perSecond),
                verdict("≥ \(Self.integer(handshakes.target))", handshakes.verdict)
                    + "; \(handshakes.completed) in \(String(format: "%.1f", handshakes.seconds)) s, mTLS + certificate verification")
            row("  relay CPU-s / handshakes per relay core", String(format: "%.2f", handshakes.relayCPUSeconds),
                (handshakes.perRelayCPUSecond.map { "\(Self.integer($0)) handshakes per relay CPU-second; " } ?? "")
                    + String(format: "relay %.2f cores busy, load generator %.2f",
                             handshakes.relayCPUSeconds / handshakes.seconds,
                             handshakes.loadGeneratorCPUSeconds / handshakes.seconds)
                    + Self.others(handshakes.otherCPUSeconds, handshakes.seconds))
            row("  failures (bench / relay), Retries sent",
                "\(handshakes.clientFailures) / \(handshakes.relayHandshakeFailures)", "\(handshakes.retriesSent) Retry packets")
        }
        for error in errors { lines.append("FAILED: \(error)") }
        return lines.joined(separator: "\n")
    }

    /// `123 456` (thin grouping for readability).
    static func integer(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        let digits = String(Int(value.rounded()).magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(" ") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// ", other processes 0.40": cores taken by the rest of the machine during a window.
    static func others(_ seconds: Double?, _ window: Double) -> String {
        seconds.map { String(format: ", other processes %.2f", $0 / window) } ?? ""
    }

    static func decimal(_ value: Double?) -> String {
        value.map { String(format: "%.1f", $0) } ?? "-"
    }
}
