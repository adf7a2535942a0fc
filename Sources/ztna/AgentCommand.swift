import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import ZTNAConfig
import ZTNARuntime

/// `ztna agent`: the agent on the user's machine (DESIGN.md §4, §5, §8): TUN mode and port-forward mode.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run an agent: reach services through tunnels to their connectors (TUN or port-forward mode).",
        discussion: """
            Configuration comes from --config, else /etc/ztna/agent.json, else ./agent.json; a flag overrides
            the file's key of the same name.

            TUN mode (the 'tun' key; Linux, root): creates the interface (default ztna0, MTU 1280) and one host
            route per service virtualIP — nothing else is routed into the tunnel. Applications then use the
            virtual IPs directly (curl http://10.100.0.2/, ping 10.100.0.1). Routes and interface are removed
            on exit. It prints 'tun NAME up: ROUTES' when ready.

            Port-forward mode (no root): every --forward listens locally and carries each TCP connection
            (or UDP flow, with the udp: prefix) through the service's tunnel:
              ztna agent --no-tun --relay relay.example.com:4433 --cert alice.crt --key alice.key --ca ca.crt \\
                  --forward 127.0.0.1:8080=web:80 --forward udp:127.0.0.1:5353=dns:53
            A service named by --forward needs no 'services' entry (its virtual IP is taken from 10.100.0.0/24).
            It prints one 'forwarding PROTO:HOST:PORT to SERVICE:PORT' line per forward. Both modes may run at once.

            SIGHUP: reload certificate, key, CA bundle and revocation list ('revocationList', optional); tunnels
            to connectors whose certificate is revoked or no longer verifies are closed, the others stay up.
            """)

    @Option(help: "Configuration file (JSON, DESIGN.md §5).")
    var config: String?

    @Option(name: .customLong("relay"), help: "Relay HOST:PORT (repeatable, in order of preference; overrides 'relays').")
    var relays: [String] = []

    @Option(help: "PEM certificate of this agent (overrides 'identity.certificate').")
    var cert: String?

    @Option(help: "PEM private key, mode 0600 (overrides 'identity.privateKey').")
    var key: String?

    @Option(help: "PEM CA bundle of the deployment (overrides 'identity.trustRoots').")
    var ca: String?

    @Option(help: "Admin HTTP address (overrides 'admin'; default 127.0.0.1:9092; 'off' disables).")
    var admin: String?

    @Option(name: .customLong("forward"),
            help: "[udp:]LISTEN=SERVICE:PORT, e.g. 127.0.0.1:8080=web:80 (repeatable; adds to 'forwards').")
    var forwards: [String] = []

    @Flag(help: "Port-forward mode only: ignore the 'tun' key (no root needed).")
    var noTun = false

    @Option(help: "Direct paths to the connector by NAT hole punching: on or off (overrides 'direct'; default on). Off keeps every tunnel on the relay.")
    var direct: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: $ZTNA_LOG_LEVEL, else info).")
    var logLevel: String?

    func run() async throws {
        let logger = try DaemonSupport.bootstrap(logLevel: logLevel, label: "ztna.agent")
        let hangups = await DaemonRunner.ReloadSignal.trap()
        var (file, path) = try DaemonSupport.load(.agent, explicit: config, empty: AgentConfig(), AgentConfig.load)
        if !relays.isEmpty { file.relays = try relays.map { try DaemonSupport.hostPort($0, flag: "--relay") } }
        file.identity.override(certificate: cert, privateKey: key, trustRoots: ca)
        for text in forwards {
            switch ForwardConfig.parse(flag: text) {
            case .success(let forward): file.forwards.append(forward)
            case .failure(let error): throw ValidationError("--forward \(text): \(error.reason)")
            }
        }
        file.services = AgentService.completing(file.services, forwards: file.forwards)
        let agent: AgentServer
        do {
            var settings = try AgentSettings(config: file, file: path, noTun: noTun)
            settings.admin = try DaemonSupport.admin(admin, file: file.admin)
            settings.direct = try DaemonSupport.direct(direct, file: file.direct)
            agent = try AgentServer(settings: settings, registry: ZTNAMetrics.process, logger: logger)
        } catch let error as StartupError {
            throw ValidationError(error.message)
        }
        let adminServer = try DaemonSupport.adminServer(
            role: "agent", address: agent.settings.admin, logger: logger,
            readiness: { await agent.readiness() }, status: { await agent.status() })
        let bound: [SocketAddress]
        do {
            bound = try await agent.start()
        } catch {
            throw ValidationError(error.message)
        }
        if let tun = await agent.status().tun {
            printLine("tun \(tun.name) up: \(tun.routes.joined(separator: " "))")
        }
        for (forward, address) in zip(agent.settings.forwards, bound) {
            printLine("forwarding \(forward.protocol):\(address.hostPortText) to \(forward.service):\(forward.port)")
        }
        DaemonSupport.announce(adminServer)
        var services: [any Service] = [agent]
        if let adminServer { services.append(adminServer) }
        try await DaemonRunner.run(services: services, logger: logger, reloadOn: hangups,
                                   reload: { try await agent.reload() })
    }
}
