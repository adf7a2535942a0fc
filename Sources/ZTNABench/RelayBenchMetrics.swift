import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The relay's own counters, scraped from its admin `/metrics` (Prometheus text format, DESIGN.md §8): the
/// cross-check of what the load generator counted, and the drops and Retries the relay saw.
struct RelayBenchMetrics: Sendable, Hashable {
    /// Every sample: the series (name and labels, as written) → value.
    let samples: [String: Double]

    init(text: String) {
        samples = Self.parse(text)
    }

    /// The sum of every series of the metric family `name` (all label values).
    func total(_ name: String) -> Double {
        samples.reduce(0) { sum, entry in
            Self.family(of: entry.key) == name ? sum + entry.value : sum
        }
    }

    /// The value of `name{label="value"}`, 0 when absent.
    func value(_ name: String, label: String, _ labelValue: String) -> Double {
        samples["\(name){\(label)=\"\(labelValue)\"}"] ?? 0
    }

    /// `ztna_drops_total` by reason, without the zero series.
    var drops: [String: Double] {
        var result: [String: Double] = [:]
        let prefix = "ztna_drops_total{reason=\""
        for (series, value) in samples where series.hasPrefix(prefix) && value > 0 {
            result[String(series.dropFirst(prefix.count).dropLast(2))] = value
        }
        return result
    }

    // MARK: - Parsing

    /// Sample lines `series value [timestamp]`; comments and lines that do not parse are skipped (total).
    static func parse(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            // Label values may contain spaces: the series ends at the closing brace when there are labels.
            let seriesEnd: Substring.Index
            if let brace = line.firstIndex(of: "{") {
                guard let close = line[brace...].firstIndex(of: "}") else { continue }
                seriesEnd = line.index(after: close)
            } else {
                guard let space = line.firstIndex(of: " ") else { continue }
                seriesEnd = space
            }
            let rest = line[seriesEnd...].split(separator: " ", omittingEmptySubsequences: true)
            guard let valueText = rest.first, let value = Double(valueText) else { continue }
            samples[String(line[..<seriesEnd])] = value
        }
        return samples
    }

    static func family(of series: String) -> Substring {
        series.prefix { $0 != "{" }
    }

    // MARK: - Scraping

    /// GETs `http://host:port/metrics` (the relay's admin server answers with a Content-Length).
    static func scrape(host: String, port: Int, group: any EventLoopGroup) async throws -> RelayBenchMetrics {
        let response = try await withDeadline(seconds: 5, "GET http://\(host):\(port)/metrics") {
            try await fetch(host: host, port: port, path: "/metrics", group: group)
        }
        guard let headerEnd = response.range(of: "\r\n\r\n"), response.hasPrefix("HTTP/1.") else {
            throw RelayBenchError("GET /metrics: not an HTTP response")
        }
        let statusLine = response.prefix { $0 != "\r" }
        guard statusLine.split(separator: " ").dropFirst().first == "200" else {
            throw RelayBenchError("GET /metrics: \(statusLine)")
        }
        return RelayBenchMetrics(text: String(response[headerEnd.upperBound...]))
    }

    private static func fetch(host: String, port: Int, path: String, group: any EventLoopGroup) async throws -> String {
        let collector = ResponseCollector()
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: host, port: port).get()
        // The server may keep the connection open (HTTP/1.1 keep-alive): the collector closes it once the
        // Content-Length is in; this bounds the wait if that never happens.
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        try await channel.closeFuture.get()
        timeout.cancel()
        return collector.text
    }
}

/// Accumulates a response until its Content-Length is complete (then closes the channel) or the server closes.
private final class ResponseCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let buffer = NIOLockedValueBox(ByteBuffer())
    /// Responses larger than this are cut (a metrics page is a few kB).
    private static let limit = 4 << 20

    var text: String { buffer.withLockedValue { String(buffer: $0) } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = Self.unwrapInboundIn(data)
        let complete = buffer.withLockedValue { buffer -> Bool in
            buffer.writeBuffer(&chunk)
            return buffer.readableBytes >= Self.limit || Self.isComplete(String(buffer: buffer))
        }
        if complete { context.close(promise: nil) }
    }

    /// Whether `response` holds its headers and as many body bytes as its Content-Length says.
    static func isComplete(_ response: String) -> Bool {
        guard let headerEnd = response.range(of: "\r\n\r\n") else { return false }
        for line in response[..<headerEnd.lowerBound].split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length",
                  let length = Int(parts[1].trimmingCharacters(in: .whitespaces)) else { continue }
            return response.utf8[headerEnd.upperBound...].count >= length
        }
        return false
    }
}
