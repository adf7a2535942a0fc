#if canImport(Glibc)
import Glibc
#endif
import Foundation
import QUICTestFixtures

/// Runs every QUIC measurement and the baselines, and formats the report with ratios.
public struct QUICBenchRun: Sendable {
    public var handshakes = 200
    public var echoes = 2000
    public var seconds = 2.0
    public var streamBytes = 200 << 20
    /// Python with aioquic for the side-by-side figures (nil: skip them).
    public var aioquicPython: String?
    public var aioquicScript: String?

    public init() {}

    public func run(bench: QUICBench, log: (String) -> Void) async throws -> String {
        var lines: [String] = []
        func row(_ name: String, _ value: String, _ note: String = "") {
            lines.append(name.padding(toLength: 44, withPad: " ", startingAt: 0) + value.padding(toLength: 22, withPad: " ", startingAt: 0) + note)
        }

        log("handshakes…")
        let handshakes = try await bench.handshakes(count: handshakes)
        log("handshakes, X25519 only (the group aioquic uses)…")
        let classicHandshakes = try await bench.handshakes(count: self.handshakes, groups: ["X25519"])
        log("UDP echo baseline…")
        let udpRTT = try await UDPBaseline.echoRTT(count: echoes, size: 64, group: bench.group)
        log("DATAGRAM echo…")
        let quicRTT = try await bench.datagramEchoRTT(count: echoes, size: 64)
        var oneWay: [(size: Int, udp: (sent: Int, received: Int, elapsed: Double, cpu: Double),
                      quic: (sent: Int, received: Int, elapsed: Double, cpu: Double),
                      onLoop: QUICBench.OnLoopResult, udpOnLoop: QUICBench.OnLoopResult)] = []
        for size in [64, 1200] {
            log("one-way \(size)-byte datagrams…")
            let udp = try await UDPBaseline.oneWay(size: size, seconds: seconds, group: bench.group)
            let quic = try await bench.datagramsOneWay(size: size, seconds: seconds)
            log("one-way \(size)-byte datagrams, on-loop API…")
            let udpOnLoop = try await UDPBaseline.oneWayOnLoop(size: size, seconds: seconds, group: bench.group)
            let onLoop = try await bench.datagramsOneWayOnLoop(size: size, seconds: seconds)
            oneWay.append((size, udp, quic, onLoop, udpOnLoop))
        }
        log("stream throughput…")
        let stream = try await bench.streamThroughput(bytes: streamBytes)
        var aioquic: [String: Double]?
        if let python = aioquicPython, let script = aioquicScript {
            log("aioquic, measured the same way…")
            aioquic = Self.runAioquic(python: python, script: script, certificates: bench.certificates, seconds: seconds)
        }

        let handshakeMedian = BenchStatistics.percentile(handshakes, 0.5)
        row("measurement", "ztna", "baseline / ratio")
        let classicMedian = BenchStatistics.percentile(classicHandshakes, 0.5)
        row("handshake median (ms), X25519MLKEM768", String(format: "%.3f", handshakeMedian),
            aioquic.map { String(format: "aioquic (X25519) %.3f ms → %.1f× faster", $0["handshakeMedianMs"] ?? .nan,
                                 ($0["handshakeMedianMs"] ?? .nan) / handshakeMedian) } ?? "")
        row("handshake p99 (ms), X25519MLKEM768", String(format: "%.3f", BenchStatistics.percentile(handshakes, 0.99)))
        row("handshake median (ms), X25519", String(format: "%.3f", classicMedian),
            aioquic.map { String(format: "aioquic (X25519) %.3f ms → %.1f× faster", $0["handshakeMedianMs"] ?? .nan,
                                 ($0["handshakeMedianMs"] ?? .nan) / classicMedian) } ?? "same group as aioquic")
        let udpMedian = BenchStatistics.percentile(udpRTT, 0.5)
        let quicMedian = BenchStatistics.percentile(quicRTT, 0.5)
        row("echo RTT median, 64 B (µs)", String(format: "%.1f", quicMedian),
            String(format: "plain UDP %.1f µs → +%.1f µs (%.2f×)", udpMedian, quicMedian - udpMedian, quicMedian / udpMedian))
        for entry in oneWay {
            let udpRate = Double(entry.udp.received) / entry.udp.elapsed
            let quicRate = Double(entry.quic.received) / entry.quic.elapsed
            let perCore = Double(entry.quic.received) / max(entry.quic.cpu, 0.001)
            var note = String(format: "plain UDP %.0f/s → %.2f×", udpRate, quicRate / udpRate)
            if entry.size == 1200, let aioquic, let received = aioquic["datagramsReceived"], let elapsed = aioquic["datagramSeconds"] {
                note += String(format: "; aioquic %.0f/s → %.1f×", received / elapsed, quicRate / (received / elapsed))
            }
            row("DATAGRAMs/s one way, \(entry.size) B", String(format: "%.0f", quicRate), note)
            row("  per CPU-second (client+server)", String(format: "%.0f", perCore),
                String(format: "delivered %d of %d sent", entry.quic.received, entry.quic.sent))
            let loop = entry.onLoop, udpLoop = entry.udpOnLoop
            let loopRate = Double(loop.received) / loop.elapsed
            let udpLoopRate = Double(udpLoop.received) / udpLoop.elapsed
            row("  on-loop API: DATAGRAMs/s", String(format: "%.0f", loopRate),
                String(format: "plain UDP on-loop (GSO) %.0f/s → %.2f×; delivered %d of %d sent", udpLoopRate,
                       loopRate / udpLoopRate, loop.received, loop.sent))
            if loop.separateLoops {
                func perCore(_ result: QUICBench.OnLoopResult) -> String {
                    String(format: "%.0f / %.0f", Double(result.sent) / max(result.senderCPU, 0.001),
                           Double(result.received) / max(result.receiverCPU, 0.001))
                }
                row("  on-loop: per sender / receiver core", perCore(loop),
                    "plain UDP on-loop " + perCore(udpLoop) + String(format: " (loop CPU-s %.2f / %.2f)",
                                                                     loop.senderCPU, loop.receiverCPU))
            }
        }
        let gbits = Double(stream.bytes) * 8 / stream.elapsed / 1e9
        var streamNote = String(format: "%d MB in %.2f s, %.2f CPU-s", stream.bytes >> 20, stream.elapsed, stream.cpu)
        if let aioquic, let bytes = aioquic["streamBytes"], let elapsed = aioquic["streamSeconds"] {
            let theirs = bytes * 8 / elapsed / 1e9
            streamNote += String(format: "; aioquic %.3f Gbit/s → %.1f×", theirs, gbits / theirs)
        }
        row("1-stream throughput (Gbit/s)", String(format: "%.3f", gbits), streamNote)
        return lines.joined(separator: "\n")
    }

    /// Runs scripts/interop/aioquic_bench.py and decodes its JSON line.
    static func runAioquic(python: String, script: String, certificates: TestCertificates.Files,
                           seconds: Double) -> [String: Double]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--cert", certificates.serverCertificate, "--key", certificates.serverPrivateKey,
                             "--ca", certificates.caCertificate, "--handshakes", "50", "--seconds", String(seconds),
                             "--stream-bytes", String(20 << 20)]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}
