import CoreMetrics
import Testing
@testable import ZTNARuntime

@Suite("ZTNAMetrics process bootstrap")
struct ZTNAMetricsTests {
    @Test func bootstrapIsIdempotentAndRoutesSwiftMetricsIntoTheProcessRegistry() async {
        ZTNAMetrics.bootstrap()
        #expect(ZTNAMetrics.bootstrap() == false)
        // A library counting through swift-metrics lands in the registry the admin server renders.
        CoreMetrics.Counter(label: "ztnatest_swift_metrics_probe_total", dimensions: [("source", "test")])
            .increment(by: 2)
        let text = String(decoding: await ZTNAMetrics.process.render(), as: UTF8.self)
        #expect(text.contains("ztnatest_swift_metrics_probe_total{source=\"test\"} 2\n"))
    }
}
