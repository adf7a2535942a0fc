import ArgumentParser
import Foundation
import IPPacket
import Logging
import ZTNAConfig
import ZTNAProtocol
import ZTNARuntime

/// `ztna probe` (DESIGN.md §1): acts as an agent for one service and sends IP/UDP packets through its tunnel
/// to the service's virtual IP and port, then checks the connector's replies. Exit status: 0 everything asked
/// verified, 1 verification failed, 2 set-up error (the one-line message says what to check).
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Send UDP through a service's tunnel as an agent, verify the replies, measure RTT and sizes.",
        discussion: """
            The probe connects to a relay with an agent certificate, registers for the service, opens its tunnel \
            (over the relayed path) and sends whole IP/UDP packets from the agent's tunnel address (tun.address, \
            default 10.100.0.254) and a random source port to the service's virtual IP and --port. The connector \
            hands them to the backend of that port and sends the answers back. No root needed.

            Configuration comes from --config, else /etc/ztna/agent.json, else ./agent.json (relays, identity, the \
            service's virtual IP); flags override the file. With a deployment's files:
              ztna probe --config /etc/ztna/agent.json --service echo --verify-echo

            Each payload is an 8-byte big-endian sequence number followed by the pattern. Durations are a number \
            and a unit (10ms, 1.5s, 250us) or 0.

            Exit status: 0 when everything asked was verified (without --verify-echo: when at least one reply \
            came back), 1 when verification failed, 2 on set-up errors (bad values, no tunnel within --timeout). \
            Logs go to stderr; the report (or the JSON object) to stdout.
            """)

    // MARK: - Target

    @Option(help: "Service id to probe (required).")
    var service: String

    @Option(help: "UDP port of the service to send to.")
    var port: Int = 7

    @Option(help: "Virtual IP of the service (overrides the service's 'virtualIP' in the file, else its default pool address).")
    var vip: String?

    // MARK: - Identity and relays (as `ztna agent`)

    @Option(help: "Configuration file (agent.json, DESIGN.md §5).")
    var config: String?

    @Option(name: .customLong("relay"), help: "Relay HOST:PORT (repeatable, in order of preference; overrides 'relays').")
    var relays: [String] = []

    @Option(help: "PEM certificate of this agent (overrides 'identity.certificate').")
    var cert: String?

    @Option(help: "PEM private key, mode 0600 (overrides 'identity.privateKey').")
    var key: String?

    @Option(help: "PEM CA bundle of the deployment (overrides 'identity.trustRoots').")
    var ca: String?

    // MARK: - What to send

    @Option(help: "UDP payload bytes per packet (at least 8: the sequence number).")
    var size: Int = 64

    @Option(help: "Packets to send, paced by --interval.")
    var count: Int = 10

    @Option(help: "Time between paced packets (e.g. 10ms, 1s, 0).")
    var interval: String = "100ms"

    @Option(help: "Payload bytes after the sequence number: zeros, sequence or random.")
    var pattern: String = ProbePattern.sequence.rawValue

    @Option(help: "Packets to send back to back after the paced ones; reports how many came back and the loss.")
    var burst: Int = 0

    // MARK: - What to check and measure

    @Flag(help: "Every reply must equal what was sent (burst and max-size packets included); missing, duplicated or corrupted replies fail.")
    var verifyEcho = false

    @Flag(name: .customLong("measure-rtt"), help: "Report median, p95, p99, min and max of send→reply times of the paced packets.")
    var measureRTT = false

    @Flag(help: "Report the time from start to tunnel established (relay handshake, registration, connector, tunnel handshake).")
    var measureHandshake = false

    @Flag(help: "Report the tunnel's DATAGRAM limit and the largest UDP payload that fits; send one packet of that size (must go through) and one a byte larger (must be refused locally).")
    var queryMaxSize = false

    @Option(help: "How long to wait for replies after the last packet; also the limit on opening the tunnel.")
    var timeout: String = "5s"

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @Option(help: "Log level for stderr: trace, debug, info, notice, warning, error, critical (default: $ZTNA_LOG_LEVEL, else warning).")
    var logLevel: String?

    // MARK: - Running

    func run() async throws {
        let (settings, options, logger) = try Self.setUp { try prepare() }
        let report: TunnelProbeReport
        do {
            report = try await TunnelProbe.run(settings: settings, options: options, logger: logger)
        } catch {
            throw Self.setupFailure(error.message)
        }
        printLine(json ? report.jsonText() : report.description)
        if !report.passed { throw ExitCode(report.exitCode) }
    }

    /// Logging, agent.json and the flags merged, and the probe's options — or a one-line error and exit 2.
    private func prepare() throws -> (AgentSettings, TunnelProbeOptions, Logger) {
        let environment = ProcessInfo.processInfo.environment
        let quiet = (environment[ZTNALogging.environmentVariable] ?? "").isEmpty ? "warning" : nil
        let logger = try DaemonSupport.bootstrap(logLevel: logLevel ?? quiet, label: "ztna.probe")

        guard let serviceID = ServiceID(service) else {
            throw ValidationError("--service \(service): not a service id (1–63 of a-z, 0-9 and '-', no '-' at either end)")
        }
        guard let port = UInt16(exactly: port), port > 0 else { throw ValidationError("--port \(port): not a port (1–65535)") }
        guard let pattern = ProbePattern(rawValue: pattern) else {
            throw ValidationError("--pattern \(pattern): one of \(ProbePattern.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let interval = try Self.duration(interval, flag: "--interval")
        let timeout = try Self.duration(timeout, flag: "--timeout")
        var vipLiteral: IPAddressLiteral?
        if let vip {
            guard let literal = IPAddressLiteral(vip) else { throw ValidationError("--vip \(vip): not an IP address") }
            vipLiteral = literal
        }

        var (file, path) = try DaemonSupport.load(.agent, explicit: config, empty: AgentConfig(), AgentConfig.load)
        if !relays.isEmpty { file.relays = try relays.map { try DaemonSupport.hostPort($0, flag: "--relay") } }
        file.identity.override(certificate: cert, privateKey: key, trustRoots: ca)
        guard let certificate = file.identity.certificate, let privateKey = file.identity.privateKey,
              let trustRoots = file.identity.trustRoots else {
            throw ValidationError("\(path): missing \(file.identity.missingKeys.joined(separator: ", ")) (set it in the file or with --cert/--key/--ca)")
        }
        guard !file.relays.isEmpty else { throw ValidationError("\(path): no relays (set \"relays\" or --relay)") }

        let (virtualIP, tunnelAddress) = try TunnelProbeOptions.addresses(for: serviceID, config: file,
                                                                           virtualIP: vipLiteral)
        var options = TunnelProbeOptions(service: serviceID, virtualIP: virtualIP, tunnelAddress: tunnelAddress)
        options.port = port
        options.size = size
        options.count = count
        options.interval = interval
        options.pattern = pattern
        options.verifyEcho = verifyEcho
        options.measureRTT = measureRTT
        options.measureHandshake = measureHandshake
        options.burst = burst
        options.queryMaxSize = queryMaxSize
        options.timeout = timeout
        try options.validate()

        // No services here: `TunnelProbe.run` adds the probed one (with the virtual IP resolved above), so the
        // agent registers for it alone.
        let settings = AgentSettings(relays: file.relays, certificate: certificate, privateKey: privateKey,
                                     trustRoots: trustRoots, admin: nil, services: [], forwards: [],
                                     tunnelAddress: tunnelAddress)
        return (settings, options, logger)
    }

    // MARK: - Helpers

    private static func duration(_ text: String, flag: String) throws -> Duration {
        switch ProbeDuration.parse(text) {
        case .success(let value): return value
        case .failure(let error): throw ValidationError("\(flag): \(error.message)")
        }
    }

    /// Runs `body`; any error becomes the probe's one-line set-up failure (exit status 2).
    private static func setUp<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ValidationError {
            throw setupFailure(error.message)
        } catch let error as TunnelProbeError {
            throw setupFailure(error.message)
        } catch {
            throw setupFailure("\(error)")
        }
    }

    /// Prints `ztna probe: MESSAGE` on stderr and returns exit status 2.
    private static func setupFailure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("ztna probe: \(message)\n".utf8))
        return ExitCode(2)
    }
}
