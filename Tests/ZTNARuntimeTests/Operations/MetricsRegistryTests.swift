import Synchronization
import Testing
@testable import ZTNARuntime

@Suite("MetricsRegistry")
struct MetricsRegistryTests {
    private func render(_ registry: MetricsRegistry) async -> String {
        String(decoding: await registry.render(), as: UTF8.self)
    }

    // MARK: - Generic series

    @Test func genericCountersAndGaugesRenderWithHelpAndType() async throws {
        let registry = MetricsRegistry()
        let counter = try registry.counter("ztna_test_events_total", help: "Test events.", labels: [("kind", "a")])
        counter.increment()
        counter.increment(by: 4)
        let gauge = try registry.gauge("ztna_test_level", help: "Test level.")
        gauge.set(Int64(7))
        gauge.decrement(by: 2)
        let text = await self.render(registry)
        #expect(text.contains("# HELP ztna_test_events_total Test events.\n"))
        #expect(text.contains("# TYPE ztna_test_events_total counter\n"))
        #expect(text.contains("ztna_test_events_total{kind=\"a\"} 5\n"))
        #expect(text.contains("# TYPE ztna_test_level gauge\n"))
        #expect(text.contains("ztna_test_level 5"))
    }

    @Test func handlesForTheSameSeriesShareOneValueWhateverTheLabelOrder() async throws {
        let registry = MetricsRegistry()
        let first = try registry.counter("ztna_pairs_total", help: "h", labels: [("a", "1"), ("b", "2")])
        let second = try registry.counter("ztna_pairs_total", help: "h", labels: [("b", "2"), ("a", "1")])
        first.increment()
        second.increment()
        let text = await self.render(registry)
        #expect(text.contains("ztna_pairs_total{a=\"1\",b=\"2\"} 2\n"))
    }

    @Test func labelValuesAreEscaped() async throws {
        let registry = MetricsRegistry()
        registry.drops(reason: "bad \"quote\"\nline").increment()
        let text = await self.render(registry)
        #expect(text.contains(#"ztna_drops_total{reason="bad \"quote\"\nline"} 1"#))
    }

    // MARK: - Catalogue conflicts are typed errors, not crashes

    @Test func conflictingRegistrationsThrowTypedErrors() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter("ztna_x_total", help: "X.", labels: [("k", "v")])
        #expect(throws: MetricsError.self) { try registry.gauge("ztna_x_total", help: "X.", labels: [("k", "v")]) }
        let type = #expect(throws: MetricsError.self) { try registry.gauge("ztna_x_total", help: "X.") }
        #expect(type?.code == .typeMismatch)
        let help = #expect(throws: MetricsError.self) {
            try registry.counter("ztna_x_total", help: "Other.", labels: [("k", "w")])
        }
        #expect(help?.code == .helpMismatch)
        let labels = #expect(throws: MetricsError.self) {
            try registry.counter("ztna_x_total", help: "X.", labels: [("other", "v")])
        }
        #expect(labels?.code == .labelNamesMismatch)
        let unlabeled = #expect(throws: MetricsError.self) { try registry.counter("ztna_x_total", help: "X.") }
        #expect(unlabeled?.code == .labelNamesMismatch)
    }

    @Test func standardFamiliesArePreRegistered() {
        let registry = MetricsRegistry()
        let error = #expect(throws: MetricsError.self) { try registry.gauge("ztna_drops_total", help: "Mine.") }
        #expect(error?.code == .typeMismatch)
        // The generic API with the standard definition reaches the same series as the typed helper.
        #expect(throws: Never.self) {
            try registry.counter(
                ZTNAMetricFamily.drops.name, help: "Dropped packets by reason.", labels: [("reason", "x")])
        }
    }

    @Test(arguments: ["", "1abc", "has space", "dash-name", "ünicode"])
    func invalidMetricNamesAreRejected(name: String) {
        let error = #expect(throws: MetricsError.self) { try MetricsRegistry().counter(name, help: "h") }
        #expect(error?.code == .invalidName)
    }

    @Test(arguments: ["", "__reserved", "1x", "a:b", "a-b"])
    func invalidLabelNamesAreRejected(label: String) {
        let error = #expect(throws: MetricsError.self) {
            try MetricsRegistry().counter("ztna_ok_total", help: "h", labels: [(label, "v")])
        }
        #expect(error?.code == .invalidLabelName)
    }

    @Test func duplicateLabelNamesAreRejected() {
        let error = #expect(throws: MetricsError.self) {
            try MetricsRegistry().counter("ztna_ok_total", help: "h", labels: [("a", "1"), ("a", "2")])
        }
        #expect(error?.code == .duplicateLabelName)
    }

    // MARK: - Collect hooks and mirrors

    @Test func collectHooksRunBeforeEveryRenderInOrderAndCanBeRemoved() async {
        let registry = MetricsRegistry()
        let calls = Mutex<[String]>([])
        let gauge = registry.connections(role: "connector")
        let first = registry.addCollectHook {
            calls.withLock { $0.append("first") }
            gauge.set(Int64(3))
        }
        registry.addCollectHook { calls.withLock { $0.append("second") } }
        #expect(await self.render(registry).contains("ztna_connections{role=\"connector\"} 3"))
        registry.removeCollectHook(first)
        _ = await registry.render()
        #expect(calls.withLock { $0 } == ["first", "second", "second"])
    }

    @Test func mirrorAddsOnlyIncreasesAndIgnoresStaleSnapshots() async {
        let registry = MetricsRegistry()
        let mirror = registry.handshakeFailures(reason: "tls").makeMirror()
        mirror.publish(total: 5)
        mirror.publish(total: 5)
        mirror.publish(total: 3)  // stale snapshot read before the previous one
        mirror.publish(total: 8)
        #expect(mirror.publishedTotal == 8)
        #expect(await self.render(registry).contains("ztna_handshake_failures_total{reason=\"tls\"} 8\n"))
    }

    @Test func mirrorsOfSeveralCoresAddUp() async {
        let registry = MetricsRegistry()
        let handle = registry.relayedDatagrams(direction: "connector_to_agent")
        let loop0 = handle.makeMirror()
        let loop1 = handle.makeMirror()
        loop0.publish(total: 100)
        loop1.publish(total: 40)
        loop0.publish(total: 150)
        // A core that is replaced starts again from zero with a fresh mirror: the series stays monotonic.
        let restarted = handle.makeMirror()
        restarted.publish(total: 2)
        #expect(await self.render(registry).contains("ztna_relayed_datagrams_total{direction=\"connector_to_agent\"} 192\n"))
    }

    @Test func concurrentPublishersNeverDoubleCount() async {
        let registry = MetricsRegistry()
        let mirror = registry.registrations(role: "agent").makeMirror()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for total in stride(from: UInt64(worker), through: 1000, by: 8) {
                        mirror.publish(total: total)
                    }
                }
            }
        }
        mirror.publish(total: 1000)
        #expect(await self.render(registry).contains("ztna_registrations_total{role=\"agent\"} 1000\n"))
    }

    @Test func everyStandardFamilyRendersWithItsLabel() async {
        let registry = MetricsRegistry()
        registry.connections(role: "relay").set(Int64(1))
        registry.registrations(role: "connector").increment()
        registry.registrationRejections(reason: "unauthorized").increment()
        registry.relayedDatagrams(direction: "agent_to_connector").increment()
        registry.relayedBytes(direction: "agent_to_connector").increment(by: 1200)
        registry.drops(reason: "no_route").increment()
        registry.handshakeFailures(reason: "certificate").increment()
        for outcome in RetryOutcome.allCases { registry.retries(outcome: outcome).increment() }
        let text = await self.render(registry)
        for line in [
            "ztna_connections{role=\"relay\"} 1",
            "ztna_registrations_total{role=\"connector\"} 1\n",
            "ztna_registration_rejections_total{reason=\"unauthorized\"} 1\n",
            "ztna_relayed_datagrams_total{direction=\"agent_to_connector\"} 1\n",
            "ztna_relayed_bytes_total{direction=\"agent_to_connector\"} 1200\n",
            "ztna_drops_total{reason=\"no_route\"} 1\n",
            "ztna_handshake_failures_total{reason=\"certificate\"} 1\n",
            "ztna_retry_total{outcome=\"sent\"} 1\n",
            "ztna_retry_total{outcome=\"validated\"} 1\n",
            "ztna_retry_total{outcome=\"failed\"} 1\n",
        ] {
            #expect(text.contains(line), "\(line)")
        }
        for family in ZTNAMetricFamily.all {
            #expect(text.contains("# TYPE \(family.name) "), "\(family.name)")
        }
    }
}
