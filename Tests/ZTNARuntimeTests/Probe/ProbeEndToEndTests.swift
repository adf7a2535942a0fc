import IPPacket
import Logging
import NIOCore
import Testing
import ZTNAConfig
import ZTNAIdentity
import ZTNAProtocol
@testable import ZTNARuntime

/// `ztna probe` against the whole system on loopback (no root): the demo's relay and connector, whose `echo`
/// service offers UDP port 7 in front of the built-in UDP echo backend, and the probe as its own agent.
/// (Named …EndToEndTests: scripts/test selects the end-to-end suites by that name.)
@Suite("Probe end to end on loopback (relay + connector + probe agent)", .timeLimit(.minutes(3)), .serialized)
struct ProbeEndToEndTests {
    static let echo = ServiceID("echo")!

    /// Agent settings for a probe of `demo`, with a certificate that grants `agent` for `services`.
    static func settings(_ demo: Demo, services: [ServiceID] = [echo]) throws -> AgentSettings {
        let identity = try demo.deployment.issue(.agent, name: "probe", services: .services(Set(services)))
        var settings = AgentSettings(
            relays: [HostPort(host: "127.0.0.1", port: UInt16(demo.relayAddress.port ?? 0))],
            certificate: identity.certificate, privateKey: identity.privateKey, trustRoots: demo.deployment.caCertificate,
            admin: nil, services: [], forwards: [])
        settings.bindHost = "127.0.0.1"
        return settings
    }

    static func options(_ change: (inout TunnelProbeOptions) -> Void) throws -> TunnelProbeOptions {
        let (vip, tunnel) = try TunnelProbeOptions.addresses(for: echo, config: AgentConfig(), virtualIP: nil)
        var options = TunnelProbeOptions(service: echo, virtualIP: vip, tunnelAddress: tunnel)
        change(&options)
        return options
    }

    /// Runs `body` with a started demo and always stops it.
    static func withDemo(_ body: (Demo) async throws -> Void) async throws {
        let demo = try await Demo.start(logger: LoopbackEndToEndTests.logger)
        do {
            try await body(demo)
        } catch {
            await demo.stop()
            throw error
        }
        await demo.stop()
    }

    @Test func verifiedEchoWithEveryMeasurement() async throws {
        try await Self.withDemo { demo in
            let options = try Self.options {
                $0.count = 20
                $0.interval = .milliseconds(5)
                $0.pattern = .random
                $0.verifyEcho = true
                $0.measureRTT = true
                $0.measureHandshake = true
                $0.burst = 50
                $0.queryMaxSize = true
                $0.timeout = .seconds(10)
            }
            let report = try await TunnelProbe.run(settings: Self.settings(demo), options: options,
                                                   logger: LoopbackEndToEndTests.logger)
            #expect(report.passed, "\(report)")
            #expect(report.exitCode == 0)
            #expect(report.sent == 20 + 50 + 1)
            #expect(report.received == report.sent && report.lost == 0)
            #expect(report.anomalies.duplicates == 0 && report.anomalies.corrupted == 0 && report.anomalies.unexpected == 0)
            #expect(report.missingSequences.isEmpty)
            let rtt = try #require(report.rtt)
            #expect(rtt.samples == 20)
            #expect(rtt.minimum > 0 && rtt.minimum <= rtt.median && rtt.median <= rtt.p95 && rtt.p95 <= rtt.p99
                    && rtt.p99 <= rtt.maximum)
            #expect((report.handshakeMilliseconds ?? 0) > 0)
            #expect(report.burst == TunnelProbeReport.Burst(sent: 50, received: 50, lossPercent: 0))
            let maxSize = try #require(report.maxSize)
            let datagram = try #require(maxSize.maxDatagramPayload)
            #expect(maxSize.maxUDPPayload == datagram - 28)
            #expect(maxSize.atMaximum?.size == datagram - 28 && maxSize.atMaximum?.sent == true
                    && maxSize.atMaximum?.echoed == true)
            #expect(maxSize.oneLarger?.size == datagram - 27 && maxSize.oneLarger?.sent == false
                    && maxSize.oneLarger?.refusedLocally == true)
            #expect(maxSize.passed)
            // The connector saw the probe's flow on the echo service.
            let connectorEcho = try #require(await demo.connector.status().services.first { $0.id == "echo" })
            let tunnels = await demo.connector.status().tunnels.map { "\($0.service) \($0.path)" }
            #expect(connectorEcho.bytesUp >= 70 * 64, "drops \(connectorEcho.drops) tunnels \(tunnels)")
        }
    }

    /// Two probes through one agent whose tunnel is already up (so the short timeout only bounds the wait for
    /// replies): port 9 is not offered, the connector drops every packet, and both verdicts are failures.
    @Test func aPortTheConnectorDoesNotOfferGetsNoRepliesAndFails() async throws {
        try await Self.withDemo { demo in
            let verifying = try Self.options {
                $0.port = 9
                $0.count = 3
                $0.interval = .zero
                $0.verifyEcho = true
                $0.timeout = .seconds(1)
            }
            var settings = try Self.settings(demo)
            settings.services = [AgentService(id: Self.echo, virtualIP: IPAddressLiteral(verifying.virtualIP.description)!)]
            settings.tunnelAddress = verifying.tunnelAddress
            let agent = try AgentServer(settings: settings, registry: MetricsRegistry(), logger: LoopbackEndToEndTests.logger)
            try await agent.start()
            do {
                _ = try await withTimeLimit(.seconds(30), "the probe agent's tunnel") {
                    try await agent.tunnel(for: Self.echo)
                }
                let report = try await TunnelProbe(options: verifying).run(agent: agent)
                #expect(!report.passed && report.exitCode == 1)
                #expect(report.sent == 3 && report.received == 0)
                #expect(report.missingSequences == [0, 1, 2])
                #expect(report.failures.contains { $0.contains("3 of 3 packets got no reply") })

                var plain = verifying
                plain.verifyEcho = false
                plain.sourcePort = verifying.sourcePort == 65_535 ? 49_152 : verifying.sourcePort + 1
                let unverified = try await TunnelProbe(options: plain).run(agent: agent)
                #expect(!unverified.passed && unverified.exitCode == 1)
                #expect(unverified.failures.contains { $0.contains("no reply came back") })
                // Nothing at all came back on the tunnel: the connector answers nothing for port 9.
                #expect(unverified.anomalies.foreign.values.reduce(0, +) == 0)
            } catch {
                await agent.shutdown()
                throw error
            }
            await agent.shutdown()
        }
    }

    @Test func noConnectorForTheServiceIsASetupErrorWithinTheTimeout() async throws {
        try await Self.withDemo { demo in
            let nobody = ServiceID("nobody")!
            var options = try Self.options { $0.timeout = .seconds(1) }
            options.service = nobody
            let settings = try Self.settings(demo, services: [nobody])
            do throws(TunnelProbeError) {
                _ = try await TunnelProbe.run(settings: settings, options: options, logger: LoopbackEndToEndTests.logger)
                Issue.record("a tunnel to a service no connector serves")
            } catch {
                #expect(error.kind == .noTunnel)
                #expect(error.message.contains("nobody") && error.message.contains("within 1s"))
            }
        }
    }
}
