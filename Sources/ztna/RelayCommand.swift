public import ArgumentParser
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
public import ZTNAConfig
import ZTNARuntime

/// `ztna relay`: the relay daemon (DESIGN.md §3, §5, §8).
struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Run a relay: authenticate agents and connectors (mTLS) and forward their tunnel packets.",
        discussion: """
            Configuration comes from --config, else /etc/ztna/relay.json, else ./relay.json, else flags only;
            a flag overrides the file's key of the same name. Unknown keys, missing certificate files and
            private keys readable by group or others stop the start with an error naming the file and key.

            When ready it prints 'listening on HOST:PORT' (and 'admin on http://HOST:PORT/') on stdout.
            SIGTERM/SIGINT: close every connection (CONNECTION_CLOSE) and exit within 3 s.
            SIGHUP: reload certificate, key, CA bundle and revocation list; clients whose certificate is revoked
            or no longer verifies are disconnected, the others stay connected.

            Example (certificates from 'ztna certs'):
              ztna relay --cert pki/relay.example.com.crt --key pki/relay.example.com.key --ca pki/ca.crt
            """)

    @Option(help: "Configuration file (JSON, DESIGN.md §5).")
    var config: String?

    @Option(help: "UDP address to listen on (overrides 'listen'; default 0.0.0.0:4433; port 0: any free port).")
    var listen: String?

    @Option(help: "PEM certificate chain of the relay (overrides 'identity.certificate').")
    var cert: String?

    @Option(help: "PEM private key, mode 0600 (overrides 'identity.privateKey').")
    var key: String?

    @Option(help: "PEM CA bundle that client certificates must chain to (overrides 'identity.trustRoots').")
    var ca: String?

    @Option(help: "Admin HTTP address for /metrics, /healthz, /readyz, /api/v1/status and / (overrides 'admin'; default 127.0.0.1:9090; 'off' disables).")
    var admin: String?

    @Option(help: "Stateless Retry: auto (under handshake load), always, never (overrides 'retry').")
    var retry: RetryMode?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: $ZTNA_LOG_LEVEL, else info).")
    var logLevel: String?

    func run() async throws {
        let logger = try DaemonSupport.bootstrap(logLevel: logLevel, label: "ztna.relay")
        let hangups = await DaemonRunner.ReloadSignal.trap()
        var (file, path) = try DaemonSupport.load(.relay, explicit: config, empty: RelayConfig(), RelayConfig.load)
        if let listen { file.listen = try DaemonSupport.hostPort(listen, flag: "--listen", allowingPortZero: true) }
        file.identity.override(certificate: cert, privateKey: key, trustRoots: ca)
        if let retry { file.retry = retry }
        let relay: RelayServer
        do {
            var settings = try RelaySettings(config: file, file: path)
            settings.admin = try DaemonSupport.admin(admin, file: file.admin)
            relay = try RelayServer(settings: settings, registry: ZTNAMetrics.process, logger: logger)
        } catch let error as StartupError {
            throw ValidationError(error.message)
        }
        let adminServer = try DaemonSupport.adminServer(
            role: "relay", address: relay.settings.admin, logger: logger,
            readiness: { relay.readiness() }, status: { await relay.status() })
        let bound: SocketAddress
        do {
            bound = try await relay.start()
        } catch {
            throw ValidationError(error.message)
        }
        printLine("listening on \(bound.hostPortText)")
        DaemonSupport.announce(adminServer)
        var services: [any Service] = [relay]
        if let adminServer { services.append(adminServer) }
        try await DaemonRunner.run(services: services, logger: logger, reloadOn: hangups,
                                   reload: { try await relay.reload() })
    }
}

extension RetryMode: ExpressibleByArgument {}
