#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// MARK: - The human report and the JSON object

extension TunnelProbeReport: CustomStringConvertible {
    /// A short report, one fact per line: what was probed, counts, the verdict, then the measurements asked for.
    public var description: String {
        var lines: [String] = []
        lines.append("probe \(target.service) \(Self.hostPort(target.virtualIP, target.port)) from \(Self.hostPort(target.tunnelAddress, target.sourcePort)): \(size)-byte UDP payloads, pattern \(pattern.rawValue)")
        let foreign = anomalies.foreign.values.reduce(0, +)
        lines.append("sent \(sent), received \(received), lost \(lost) (\(Self.fixed(lossPercent, 1))%), duplicates \(anomalies.duplicates), corrupted \(anomalies.corrupted + anomalies.unexpected), foreign \(foreign)")
        if let rtt {
            lines.append("rtt: min \(Self.fixed(rtt.minimum, 3)) ms, median \(Self.fixed(rtt.median, 3)) ms, p95 \(Self.fixed(rtt.p95, 3)) ms, p99 \(Self.fixed(rtt.p99, 3)) ms, max \(Self.fixed(rtt.maximum, 3)) ms (\(rtt.samples) samples)")
        }
        if let handshakeMilliseconds {
            lines.append("handshake: \(Self.fixed(handshakeMilliseconds, 1)) ms to tunnel established (relay, registration, connector, tunnel)")
        }
        if let burst {
            lines.append("burst: \(burst.sent) sent back to back, \(burst.received) replies within the timeout, loss \(Self.fixed(burst.lossPercent, 1))%")
        }
        if let maxSize { lines.append(Self.line(maxSize)) }
        if let path { lines.append(Self.line(path)) }
        if let datagramsDropped, let packetsLost {
            lines.append("tunnel: \(datagramsDropped) DATAGRAMs dropped by QUIC, \(packetsLost) packets lost")
        }
        if passed {
            lines.append(verifyEcho ? "verified: every reply matched what was sent" : "passed: replies came back")
        } else {
            lines.append("FAILED:")
            lines.append(contentsOf: failures.map { "  - " + $0 })
        }
        return lines.joined(separator: "\n")
    }

    /// `path: direct 127.0.0.1:4434 (1 change); RTT direct 0.10 ms, relayed 0.30 ms` or `path: relayed (reason)`.
    static func line(_ path: TunnelPathReport) -> String {
        func rtt(_ value: Double?) -> String { value.map { fixed($0, 3) + " ms" } ?? "n/a" }
        let where_ = path.path == "direct" ? "direct \(path.remote ?? "?")" : "relayed (\(path.reason ?? "unknown"))"
        return "path: \(where_), \(path.pathChanges) path changes; RTT direct \(rtt(path.rttMillis.direct)), relayed \(rtt(path.rttMillis.relayed))"
    }

    /// The report as one line of JSON (keys sorted), for `--json`.
    public func jsonText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Helpers

    private static func line(_ maxSize: MaxSize) -> String {
        guard let datagram = maxSize.maxDatagramPayload, let udp = maxSize.maxUDPPayload else {
            return "max size: unknown (the check did not run)"
        }
        var text = "max size: tunnel DATAGRAM payload \(datagram) bytes, UDP payload \(udp) bytes"
        if let atMaximum = maxSize.atMaximum {
            let outcome = atMaximum.sent ? (atMaximum.echoed ? "sent and echoed" : "sent, not echoed")
                : "not sent (\(atMaximum.error ?? "unknown"))"
            text += "; \(atMaximum.size) bytes: \(outcome)"
        }
        if let oneLarger = maxSize.oneLarger {
            let outcome = oneLarger.refusedLocally ? "refused locally (too large)"
                : oneLarger.sent ? "sent (should have been refused)" : "failed (\(oneLarger.error ?? "unknown"))"
            text += "; \(oneLarger.size) bytes: \(outcome)"
        }
        return text
    }

    private static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `value` with `digits` decimals (no `String(format:)`: FoundationEssentials has none).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return "\(value)" }
        let units = Int64(scaled)
        let whole = units / Int64(scale)
        let fraction = units % Int64(scale)
        var text = (value < 0 && units != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let fractionText = String(fraction)
            text += "." + String(repeating: "0", count: digits - fractionText.count) + fractionText
        }
        return text
    }
}
