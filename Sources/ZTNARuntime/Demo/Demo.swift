public import Logging
public import NIOCore
import QUICNIO
import ZTNAConfig
public import ZTNAIdentity
import ZTNAProtocol

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `ztna demo` (DESIGN.md §9): the whole system on loopback in one process — a throwaway CA, a relay, a
/// connector in front of a web app and a UDP/TCP echo server, and an agent in port-forward mode — then real
/// traffic through the tunnel, verified. Also the loopback end-to-end test (no root needed).
public final class Demo: Sendable {
    public let deployment: ThrowawayDeployment
    /// The relays, in the agent's order of preference (one unless asked for more); `relay` is the first.
    public let relays: [RelayServer]
    public var relay: RelayServer { relays[0] }
    public let connector: ConnectorServer
    public let agent: AgentServer
    public let web: DemoHTTPBackend
    public let echo: EchoBackend
    /// The agent's local ends: web (TCP), echo (UDP), echo (TCP).
    public let webForward: SocketAddress
    public let udpForward: SocketAddress
    public let tcpForward: SocketAddress
    public var relayAddress: SocketAddress { relayAddresses[0] }
    public let relayAddresses: [SocketAddress]
    public let registry: MetricsRegistry
    /// Whether agent and connector try direct paths (DESIGN.md §6); the demo then requires its tunnels to go direct.
    public let direct: Bool

    /// Starts everything (admin servers are the caller's business). `relayCount` > 1 starts several relays:
    /// the connector registers with all of them, the agent uses them in order (failover).
    /// `firstRelayPort` (0: any free port) lets a test restart the first relay on a known port.
    /// `revocationList` (tests of `reload()`) becomes the connector's and the agent's `revocationList`.
    /// `direct` false keeps every tunnel on the relayed path (the relay's forwarding is what is exercised).
    public static func start(logger: Logger, relayCount: Int = 1, firstRelayPort: UInt16 = 0,
                             revocationList: String? = nil, direct: Bool = true) async throws -> Demo {
        let deployment = try ThrowawayDeployment.create()
        var cleanup: [@Sendable () async -> Void] = [{ deployment.remove() }]
        do {
            let web = try await DemoHTTPBackend.start()
            cleanup.append { await web.close() }
            let echo = try await EchoBackend.start(host: "127.0.0.1", udpPort: 0, tcpPort: 0)
            cleanup.append { await echo.close() }
            let registry = MetricsRegistry()

            var relaySettings = RelaySettings(
                listen: HostPort(host: "127.0.0.1", port: 0), certificate: deployment.relayCertificate,
                privateKey: deployment.relayPrivateKey, trustRoots: deployment.caCertificate, admin: nil)
            relaySettings.socketBufferSize = 4 << 20
            var relays: [RelayServer] = []
            var relayAddresses: [SocketAddress] = []
            for index in 0..<max(1, relayCount) {
                var relaySettings = relaySettings
                if index == 0 { relaySettings.listen = HostPort(host: "127.0.0.1", port: firstRelayPort) }
                // The first relay publishes into the demo's registry; further ones keep their own.
                let relay = try RelayServer(settings: relaySettings, registry: index == 0 ? registry : MetricsRegistry(),
                                            logger: logger)
                relayAddresses.append(try await relay.start())
                relays.append(relay)
                cleanup.append { await relay.shutdown() }
            }
            let relayHostPorts = relayAddresses.map { HostPort(host: "127.0.0.1", port: UInt16($0.port ?? 0)) }

            let webID = try Self.service("web")
            let echoID = try Self.service("echo")
            let connectorIdentity = try deployment.issue(.connector, name: "demo-connector", services: .services([webID, echoID]))
            var connectorSettings = ConnectorSettings(
                relays: relayHostPorts, listen: HostPort(host: "127.0.0.1", port: 0),
                certificate: connectorIdentity.certificate, privateKey: connectorIdentity.privateKey,
                trustRoots: deployment.caCertificate, admin: nil,
                services: [
                    ConnectorService(id: webID, ports: [ServicePort(port: 80, protocol: .tcp,
                                                                    backend: try Self.hostPort(web.address))]),
                    ConnectorService(id: echoID, ports: [
                        ServicePort(port: 7, protocol: .udp, backend: try Self.hostPort(echo.udpAddress)),
                        ServicePort(port: 7, protocol: .tcp, backend: try Self.hostPort(echo.tcpAddress)),
                    ], icmp: true),
                ])
            connectorSettings.revocationList = revocationList
            connectorSettings.direct = direct
            let connector = try ConnectorServer(settings: connectorSettings, registry: registry, logger: logger)
            try await connector.start()
            cleanup.append { await connector.shutdown() }

            let agentIdentity = try deployment.issue(.agent, name: "demo-agent", services: .services([webID, echoID]))
            let loopback = HostPort(host: "127.0.0.1", port: 0)
            let forwards = [
                ForwardConfig(listen: loopback, service: webID, port: 80, protocol: .tcp),
                ForwardConfig(listen: loopback, service: echoID, port: 7, protocol: .udp),
                ForwardConfig(listen: loopback, service: echoID, port: 7, protocol: .tcp),
            ]
            var agentSettings = AgentSettings(
                relays: relayHostPorts, certificate: agentIdentity.certificate, privateKey: agentIdentity.privateKey,
                trustRoots: deployment.caCertificate, admin: nil,
                services: AgentService.completing([], forwards: forwards), forwards: forwards)
            agentSettings.bindHost = "127.0.0.1"
            agentSettings.revocationList = revocationList
            agentSettings.direct = direct
            let agent = try AgentServer(settings: agentSettings, registry: registry, logger: logger)
            let bound = try await agent.start()
            cleanup.append { await agent.shutdown() }
            return Demo(deployment: deployment, relays: relays, connector: connector, agent: agent, web: web, echo: echo,
                        webForward: bound[0], udpForward: bound[1], tcpForward: bound[2], relayAddresses: relayAddresses,
                        registry: registry, direct: direct)
        } catch {
            for step in cleanup.reversed() { await step() }
            throw error
        }
    }

    private init(deployment: ThrowawayDeployment, relays: [RelayServer], connector: ConnectorServer, agent: AgentServer,
                 web: DemoHTTPBackend, echo: EchoBackend, webForward: SocketAddress, udpForward: SocketAddress,
                 tcpForward: SocketAddress, relayAddresses: [SocketAddress], registry: MetricsRegistry, direct: Bool) {
        self.deployment = deployment
        self.relays = relays
        self.connector = connector
        self.agent = agent
        self.web = web
        self.echo = echo
        self.webForward = webForward
        self.udpForward = udpForward
        self.tcpForward = tcpForward
        self.relayAddresses = relayAddresses
        self.registry = registry
        self.direct = direct
    }

    // MARK: - Traffic

    /// Waits until the agent is ready (registered, tunnels up), then sends the demo's traffic and verifies it.
    public func exercise(tcpBytes: Int = 1 << 20, udpEchoes: Int = 50) async throws -> DemoReport {
        let readyStart = ContinuousClock.now
        try await withTimeLimit(.seconds(20), "agent readiness (relay registration and tunnels)") {
            while await self.agent.readiness() != .ready { try await Task.sleep(for: .milliseconds(20)) }
        }
        let readyAfter = ContinuousClock.now - readyStart
        if direct { try await waitForDirectPaths() }

        let webForward = self.webForward
        let page = try await withTimeLimit(.seconds(10), "HTTP GET through the tunnel") {
            try await LoopbackClients.tcpExchange(
                webForward, send: Array("GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n".utf8))
        }
        let pageText = String(decoding: page, as: UTF8.self)
        guard pageText.hasPrefix("HTTP/1.1 200"), pageText.contains("ztna demo web app") else {
            throw DemoFailure("HTTP GET through the tunnel returned: \(pageText.prefix(200))")
        }

        let udpForward = self.udpForward
        let payloads = (0..<udpEchoes).map { index in (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) } }
        let roundTrips = try await withTimeLimit(.seconds(20), "UDP echo through the tunnel") {
            try await LoopbackClients.udpEchoRoundTrips(udpForward, payloads: payloads)
        }

        let tcpForward = self.tcpForward
        let data = (0..<tcpBytes).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        let transferStart = ContinuousClock.now
        let echoed = try await withTimeLimit(.seconds(60), "TCP echo through the tunnel") {
            try await LoopbackClients.tcpExchange(tcpForward, send: data)
        }
        let transfer = ContinuousClock.now - transferStart
        guard echoed == data else {
            throw DemoFailure("TCP echo through the tunnel returned \(echoed.count) bytes, not the \(data.count) sent")
        }
        return DemoReport(readyAfter: readyAfter, httpStatus: pageText.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? "",
                          udpRoundTrips: roundTrips, tcpBytes: tcpBytes, tcpTransfer: transfer,
                          tunnels: await agent.status().tunnels)
    }

    /// On loopback nothing stands between agent and connector: every tunnel must go direct (DESIGN.md §9),
    /// within 5 s; otherwise the demo fails, naming the reason.
    private func waitForDirectPaths() async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let tunnels = await agent.status().tunnels
            let relayed = tunnels.filter { $0.path.path != "direct" }
            if !tunnels.isEmpty, relayed.isEmpty { return }
            guard ContinuousClock.now < deadline else {
                let reasons = relayed.map { "\($0.service): \($0.path.reason ?? "unknown")" }.joined(separator: ", ")
                throw DemoFailure("tunnels stayed on the relayed path: \(reasons)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops everything, in reverse order, and deletes the throwaway PKI.
    public func stop() async {
        await agent.shutdown()
        await connector.shutdown()
        for relay in relays { await relay.shutdown() }
        await echo.close()
        await web.close()
        deployment.remove()
    }

    // MARK: - Helpers

    private static func service(_ text: String) throws -> ServiceID {
        guard let id = ServiceID(text) else { throw DemoFailure("invalid service id \(text)") }
        return id
    }

    private static func hostPort(_ address: SocketAddress?) throws -> HostPort {
        guard let address, let host = address.ipAddress, let port = address.port, let value = UInt16(exactly: port) else {
            throw DemoFailure("backend has no address")
        }
        return HostPort(host: host, port: value)
    }
}

/// Why the demo failed.
public struct DemoFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
