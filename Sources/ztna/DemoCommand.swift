import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ZTNARuntime

/// `ztna demo` (DESIGN.md §9): relay, connector and agent on loopback with a throwaway CA; real traffic
/// through the tunnel; a short report; exit 0 when everything verified.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run relay + connector + agent on this machine, send traffic through the tunnel, report.",
        discussion: """
            Everything runs in this process on 127.0.0.1 with a throwaway CA in a temporary directory (deleted
            on exit): a relay, a connector in front of a small web app (service 'web', port 80) and a UDP/TCP
            echo server (service 'echo', port 7), and an agent in port-forward mode. It then sends an HTTP GET,
            UDP echoes and a 1 MB TCP echo through the tunnel, verifies them, prints a report and exits 0.
            With --keep it stays up, prints the status-page URLs and the local forwards, and stops on Ctrl-C.
            """)

    @Flag(help: "Stay up after the report (status pages and forwards stay usable) until SIGINT/SIGTERM.")
    var keep = false

    @Option(help: "Bytes to echo through the TCP forward.")
    var tcpBytes = 1 << 20

    @Option(help: "Log level (default warning: the demo prints its own report).")
    var logLevel = "warning"

    func run() async throws {
        let logger = try DaemonSupport.bootstrap(logLevel: logLevel, label: "ztna.demo")
        printLine("starting relay, connector (web app + echo backends) and agent on 127.0.0.1 …")
        let demo = try await Demo.start(logger: logger)
        let report: DemoReport
        do {
            report = try await demo.exercise(tcpBytes: tcpBytes)
        } catch {
            await demo.stop()
            FileHandle.standardError.write(Data("demo failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
        printLine(report.description)
        guard keep else {
            await demo.stop()
            printLine("all traffic verified; stopped (use --keep to stay up)")
            return
        }
        var services: [any Service] = []
        let relay = demo.relay, connector = demo.connector, agent = demo.agent
        let admins: [(String, AdminServer)] = [
            ("relay", try AdminServer(configuration: .init(role: "relay", port: 0), registry: demo.registry, logger: logger,
                                      readiness: { relay.readiness() }, status: { await relay.status() })),
            ("connector", try AdminServer(configuration: .init(role: "connector", port: 0), registry: demo.registry,
                                          logger: logger, readiness: { await connector.readiness() },
                                          status: { await connector.status() })),
            ("agent", try AdminServer(configuration: .init(role: "agent", port: 0), registry: demo.registry, logger: logger,
                                      readiness: { await agent.readiness() }, status: { await agent.status() })),
        ]
        services.append(contentsOf: admins.map(\.1))
        Task {
            for (role, admin) in admins {
                if let address = try? await admin.waitUntilListening() {
                    printLine("\(role) status page: http://\(address.hostPortText)/")
                }
            }
            printLine("web app:   curl http://\(demo.webForward.hostPortText)/")
            printLine("UDP echo:  \(demo.udpForward.hostPortText)    TCP echo: \(demo.tcpForward.hostPortText)")
            printLine("Ctrl-C to stop")
        }
        try await DaemonRunner.run(services: services, logger: logger)
        await demo.stop()
    }
}
