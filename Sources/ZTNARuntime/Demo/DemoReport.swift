#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `ztna demo` measured.
public struct DemoReport: Sendable, CustomStringConvertible {
    /// From the start of the exercise until the agent was registered and its tunnels were up.
    public let readyAfter: Duration
    public let httpStatus: String
    /// UDP echo round trips through the tunnel (relayed), seconds.
    public let udpRoundTrips: [Double]
    public let tcpBytes: Int
    public let tcpTransfer: Duration
    /// The agent's tunnels after the traffic: their paths, RTT per path.
    public let tunnels: [AgentTunnelReport]

    public var description: String {
        let sorted = udpRoundTrips.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
        }
        let seconds = Double(tcpTransfer.components.seconds) + Double(tcpTransfer.components.attoseconds) / 1e18
        let megabitsPerSecond = seconds > 0 ? Double(tcpBytes * 8) / seconds / 1e6 : 0
        return """
            \(tunnels.map(Self.pathLine).joined(separator: "\n"))
            ready after     \(format(readyAfter)) (registration with the relay, tunnels up)
            HTTP GET web:80 \(httpStatus)
            UDP echo:7      \(udpRoundTrips.count) round trips verified, RTT median \(ms(percentile(0.5))), p99 \(ms(percentile(0.99)))
            TCP echo:7      \(tcpBytes) bytes echoed byte-exact in \(format(tcpTransfer)) (\(Self.fixed(megabitsPerSecond, 1)) Mbit/s each way)
            """
    }

    private func ms(_ seconds: Double) -> String { Self.fixed(seconds * 1000, 2) + " ms" }

    /// `path web    direct 127.0.0.1:PORT 12 ms after the tunnel came up; RTT direct 0.10 ms, relayed 0.25 ms`
    static func pathLine(_ tunnel: AgentTunnelReport) -> String {
        let label = ("path " + tunnel.service).paddedRight(to: 16)
        let path = tunnel.path
        func rtt(_ value: Double?) -> String { value.map { fixed($0, 2) + " ms" } ?? "n/a" }
        let rtts = "RTT direct \(rtt(path.rttMillis.direct)), relayed \(rtt(path.rttMillis.relayed))"
        guard path.path == "direct" else {
            return "\(label)relayed (\(path.reason ?? "unknown")); \(rtts)"
        }
        let after = path.since.timeIntervalSince(tunnel.openedAt) * 1000
        return "\(label)direct \(path.remote ?? "?") \(fixed(max(after, 0), 0)) ms after the tunnel came up; \(rtts)"
    }

    private func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds < 1 ? Self.fixed(seconds * 1000, 0) + " ms" : Self.fixed(seconds, 2) + " s"
    }

    /// `value` with `decimals` digits after the point (no Foundation formatting in this module).
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        guard decimals > 0 else { return String(scaled) }
        let whole = scaled / Int(scale)
        let fraction = String(abs(scaled) % Int(scale))
        return "\(scaled < 0 && whole == 0 ? "-" : "")\(whole)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}

extension String {
    /// Pads with spaces on the right to `length` characters (at least one space follows).
    func paddedRight(to length: Int) -> String {
        count >= length ? self + " " : self + String(repeating: " ", count: length - count)
    }
}
