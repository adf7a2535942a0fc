import ArgumentParser
import NIOCore
import ZTNARuntime

/// `ztna echo`: a UDP and TCP echo backend for trying a tunnel (and for the tests and the demo).
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Run a UDP and/or TCP echo server; prints 'udp listening on …' / 'tcp listening on …' when ready.",
        discussion: """
            Every UDP datagram goes back to its sender; every TCP byte goes back on its connection (half-close
            honoured). Stops on SIGINT/SIGTERM.

            Example: ztna echo --udp 9999 --tcp 8080
            """)

    @Option(help: "UDP port to echo on (0: any free port).")
    var udp: Int?

    @Option(help: "TCP port to echo on (0: any free port).")
    var tcp: Int?

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    func validate() throws {
        guard udp != nil || tcp != nil else { throw ValidationError("give --udp PORT, --tcp PORT, or both") }
        for (flag, port) in [("--udp", udp), ("--tcp", tcp)] {
            if let port, !(0...65535).contains(port) { throw ValidationError("\(flag): \(port) is not a port") }
        }
    }

    func run() async throws {
        let signals = TerminationSignals()
        let backend = try await EchoBackend.start(host: host, udpPort: udp, tcpPort: tcp)
        if let address = backend.udpAddress { printLine("udp listening on \(formatHostPort(address.ipAddress ?? host, address.port ?? 0))") }
        if let address = backend.tcpAddress { printLine("tcp listening on \(formatHostPort(address.ipAddress ?? host, address.port ?? 0))") }
        _ = await signals.wait()
        await backend.close()
    }
}
