import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
@testable import ZTNARuntime

@Suite("AdminServer over real loopback HTTP")
struct AdminServerTests {
    // MARK: - Routes

    @Test func healthzAnswersOk() async throws {
        try await AdminServerHarness.withServer { _, port in
            let response = try await AdminServerHarness.request(port, "/healthz")
            #expect(response.status == .ok)
            #expect(response.text == "ok\n")
            #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test func boundPortIsTheRealOneAndLoopback() async throws {
        try await AdminServerHarness.withServer { server, port in
            #expect(port != 0)
            let address = try #require(server.listeningAddress)
            #expect(address.ipAddress == "127.0.0.1")
            #expect(address.port == port)
        }
    }

    @Test func readinessFlipsBetween503And200() async throws {
        let readiness = ReadinessSwitch()
        try await AdminServerHarness.withServer(readiness: { readiness.get() }) { _, port in
            let before = try await AdminServerHarness.request(port, "/readyz")
            #expect(before.status == .serviceUnavailable)
            #expect(before.text == "starting\n")

            readiness.set(.ready)
            let ready = try await AdminServerHarness.request(port, "/readyz")
            #expect(ready.status == .ok)
            #expect(ready.text == "ready\n")

            readiness.set(.notReady(reason: "no relay registration\nyet"))
            let after = try await AdminServerHarness.request(port, "/readyz")
            #expect(after.status == .serviceUnavailable)
            #expect(after.text == "no relay registration yet\n")
        }
    }

    @Test func statusIsSortedJSONWithISO8601Dates() async throws {
        try await AdminServerHarness.withServer { _, port in
            let response = try await AdminServerHarness.request(port, "/api/v1/status")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.text == """
                {"bytes":42,"connections":[{"path":"relayed","peer":"agent-1","rttMicros":1500}],\
                "role":"relay","startedAt":"2026-11-25T05:00:00Z"}
                """)
        }
    }

    @Test func statusPageIsSelfContainedAndNamesTheRole() async throws {
        try await AdminServerHarness.withServer(role: "connector") { _, port in
            let response = try await AdminServerHarness.request(port, "/")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            let html = response.text
            #expect(html.contains("<title>ztna connector</title>"))
            #expect(html.contains("fetch(\"/api/v1/status\""))
            #expect(html.contains("setInterval(refresh, 2000)"))
            // No external assets: nothing is loaded from another origin.
            #expect(!html.contains("http://") && !html.contains("https://"))
            #expect(!html.contains("<link") && !html.contains("src="))
        }
    }

    @Test func metricsRenderTheRegistryWithPrometheusContentType() async throws {
        let registry = MetricsRegistry()
        registry.relayedDatagrams(direction: "agent_to_connector").increment(by: 3)
        registry.relayedBytes(direction: "agent_to_connector").increment(by: 3600)
        registry.connections(role: "agent").set(Int64(2))
        registry.retries(outcome: .validated).increment()
        try await AdminServerHarness.withServer(registry: registry) { _, port in
            let response = try await AdminServerHarness.request(port, "/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = response.text
            #expect(text.contains("# TYPE ztna_relayed_datagrams_total counter\n"))
            #expect(text.contains("ztna_relayed_datagrams_total{direction=\"agent_to_connector\"} 3\n"))
            #expect(text.contains("ztna_relayed_bytes_total{direction=\"agent_to_connector\"} 3600\n"))
            #expect(text.contains("# TYPE ztna_connections gauge\n"))
            #expect(text.contains("ztna_connections{role=\"agent\"} 2"))
            #expect(text.contains("ztna_retry_total{outcome=\"validated\"} 1\n"))
        }
    }

    @Test func collectHookPublishesCoreCountersAtScrapeTimeWithoutDoubleCounting() async throws {
        let registry = MetricsRegistry()
        let core = Mutex<UInt64>(10)  // a sans-IO core's plain counter
        let mirror = registry.drops(reason: "unknown_service").makeMirror()
        registry.addCollectHook { mirror.publish(total: core.withLock { $0 }) }
        try await AdminServerHarness.withServer(registry: registry) { _, port in
            let line = "ztna_drops_total{reason=\"unknown_service\"} "
            let first = try await AdminServerHarness.request(port, "/metrics").text
            #expect(first.contains(line + "10\n"))
            // Scraping again without new drops must not add them again.
            let second = try await AdminServerHarness.request(port, "/metrics").text
            #expect(second.contains(line + "10\n"))
            core.withLock { $0 = 25 }
            let third = try await AdminServerHarness.request(port, "/metrics").text
            #expect(third.contains(line + "25\n"))
        }
    }

    // MARK: - Errors and methods

    @Test func unknownPathsAre404() async throws {
        try await AdminServerHarness.withServer { _, port in
            for path in ["/nope", "/metrics/", "/api/v1", "/api/v1/status/x"] {
                let response = try await AdminServerHarness.request(port, path)
                #expect(response.status == .notFound, "\(path)")
            }
        }
    }

    @Test func onlyGetAndHeadAreAllowed() async throws {
        try await AdminServerHarness.withServer { _, port in
            let post = try await AdminServerHarness.request(port, "/metrics", method: .post)
            #expect(post.status == .methodNotAllowed)
            #expect(post.headers[.allow] == "GET, HEAD")

            let head = try await AdminServerHarness.request(port, "/healthz", method: .head)
            #expect(head.status == .ok)
            #expect(head.text.isEmpty)
            #expect(head.headers[.contentLength] == "3")
        }
    }

    // MARK: - Lifecycle

    @Test func gracefulShutdownFinishesInFlightRequestsThenEndsRun() async throws {
        // The readiness closure parks the request until the test has triggered shutdown.
        let (entered, enteredContinuation) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        let server = try AdminServer(
            configuration: .init(role: "agent", port: 0),
            registry: MetricsRegistry(),
            logger: AdminServerHarness.logger,
            readiness: {
                enteredContinuation.yield()
                for await _ in release { break }
                return .ready
            },
            status: { AdminServerHarness.sampleStatus }
        )
        let group = ServiceGroup(configuration: .init(services: [server], logger: AdminServerHarness.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try #require(try await server.waitUntilListening().port)
            tasks.addTask {
                let response = try await AdminServerHarness.request(port, "/readyz")
                #expect(response.status == .ok)
            }
            for await _ in entered { break }
            await group.triggerGracefulShutdown()
            releaseContinuation.yield()
            try await tasks.waitForAll()
            #expect(server.listeningAddress == nil)
            await #expect(throws: (any Error).self) {
                _ = try await AdminServerHarness.request(port, "/healthz")
            }
            await #expect(throws: AdminServerError(.stopped, "admin server stopped")) {
                _ = try await server.waitUntilListening()
            }
        }
    }

    @Test func addressInUseFailsRunAndReleasesWaiters() async throws {
        try await AdminServerHarness.withServer { _, port in
            let second = try AdminServer(
                configuration: .init(role: "relay", port: port),
                registry: MetricsRegistry(),
                logger: AdminServerHarness.logger,
                readiness: { .ready },
                status: { AdminServerHarness.sampleStatus }
            )
            try await withThrowingTaskGroup(of: AdminServerError?.self) { tasks in
                tasks.addTask {
                    do throws(AdminServerError) {
                        _ = try await second.waitUntilListening()
                        return nil
                    } catch {
                        return error
                    }
                }
                let error = await #expect(throws: AdminServerError.self) { try await second.run() }
                #expect(error?.code == .serverFailed)
                let waiterError = try await tasks.next()
                #expect(waiterError??.code == .serverFailed)
            }
        }
    }

    @Test func nonLoopbackAddressIsRefusedWithoutOptIn() throws {
        let error = #expect(throws: AdminServerError.self) {
            try AdminServer(
                configuration: .init(role: "relay", host: "0.0.0.0", port: 9090),
                registry: MetricsRegistry(),
                logger: AdminServerHarness.logger,
                readiness: { .ready },
                status: { AdminServerHarness.sampleStatus }
            )
        }
        #expect(error?.code == .nonLoopbackRefused)

        let allowed = try AdminServer(
            configuration: .init(role: "relay", host: "0.0.0.0", port: 9090, allowNonLoopback: true),
            registry: MetricsRegistry(),
            logger: AdminServerHarness.logger,
            readiness: { .ready },
            status: { AdminServerHarness.sampleStatus }
        )
        #expect(allowed.bindAddress.ipAddress == "0.0.0.0")
        #expect(allowed.listeningAddress == nil)
    }
}
