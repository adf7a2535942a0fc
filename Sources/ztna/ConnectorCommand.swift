import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import ZTNAConfig
import ZTNARuntime

/// `ztna connector`: the connector daemon next to the applications (DESIGN.md §4, §5, §8).
struct ConnectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector",
        abstract: "Run a connector: register services with relays and serve agents' tunnels to the backends.",
        discussion: """
            Configuration comes from --config, else /etc/ztna/connector.json, else ./connector.json; a flag
            overrides the file's key of the same name. Services (ports → backends) come from the file.
            Registers every service with every relay and keeps the registrations up (reconnecting with backoff).
            Each agent's certificate must grant the service its tunnel names; the connector checks it itself.
            When ready it prints 'listening on HOST:PORT' (and 'admin on http://HOST:PORT/').
            SIGTERM/SIGINT: close relay connections and tunnels, exit within 3 s.
            SIGHUP: reload certificate, key, CA bundle and revocation list ('revocationList', optional); tunnels
            of agents whose certificate is revoked or no longer verifies are closed, the others stay up.
            """)

    @Option(help: "Configuration file (JSON, DESIGN.md §5).")
    var config: String?

    @Option(name: .customLong("relay"), help: "Relay HOST:PORT (repeatable; overrides 'relays').")
    var relays: [String] = []

    @Option(help: "UDP address for relay connections and tunnels (overrides 'listen'; default 0.0.0.0:4434; port 0: any free port).")
    var listen: String?

    @Option(help: "PEM certificate of this connector (overrides 'identity.certificate').")
    var cert: String?

    @Option(help: "PEM private key, mode 0600 (overrides 'identity.privateKey').")
    var key: String?

    @Option(help: "PEM CA bundle of the deployment (overrides 'identity.trustRoots').")
    var ca: String?

    @Option(help: "Admin HTTP address (overrides 'admin'; default 127.0.0.1:9091; 'off' disables).")
    var admin: String?

    @Option(help: "Direct paths to agents by NAT hole punching: on or off (overrides 'direct'; default on). Off keeps every tunnel on the relay.")
    var direct: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: $ZTNA_LOG_LEVEL, else info).")
    var logLevel: String?

    func run() async throws {
        let logger = try DaemonSupport.bootstrap(logLevel: logLevel, label: "ztna.connector")
        let hangups = await DaemonRunner.ReloadSignal.trap()
        var (file, path) = try DaemonSupport.load(.connector, explicit: config, empty: ConnectorConfig(),
                                                  ConnectorConfig.load)
        if !relays.isEmpty { file.relays = try relays.map { try DaemonSupport.hostPort($0, flag: "--relay") } }
        if let listen { file.listen = try DaemonSupport.hostPort(listen, flag: "--listen", allowingPortZero: true) }
        file.identity.override(certificate: cert, privateKey: key, trustRoots: ca)
        let connector: ConnectorServer
        do {
            var settings = try ConnectorSettings(config: file, file: path)
            settings.admin = try DaemonSupport.admin(admin, file: file.admin)
            settings.direct = try DaemonSupport.direct(direct, file: file.direct)
            connector = try ConnectorServer(settings: settings, registry: ZTNAMetrics.process, logger: logger)
        } catch let error as StartupError {
            throw ValidationError(error.message)
        }
        let adminServer = try DaemonSupport.adminServer(
            role: "connector", address: connector.settings.admin, logger: logger,
            readiness: { await connector.readiness() }, status: { await connector.status() })
        let bound: SocketAddress
        do {
            bound = try await connector.start()
        } catch {
            throw ValidationError(error.message)
        }
        printLine("listening on \(bound.hostPortText)")
        DaemonSupport.announce(adminServer)
        var services: [any Service] = [connector]
        if let adminServer { services.append(adminServer) }
        try await DaemonRunner.run(services: services, logger: logger, reloadOn: hangups,
                                   reload: { try await connector.reload() })
    }
}
