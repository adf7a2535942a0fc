import ArgumentParser
import Logging
import NIOCore
import QUICCore
import QUICNIO
import QUICTLS

/// `ztna quic server`: a QUIC server for interop tests, optionally echoing streams and DATAGRAMs.
struct QUICServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run a QUIC server; prints 'listening on HOST:PORT' when ready, stops on SIGINT/SIGTERM.")

    @Option(help: "UDP port to listen on (0: an ephemeral port, printed when ready).")
    var port: Int

    @Option(help: "ALPN protocol to accept (several: comma-separated, most preferred first).")
    var alpn: String

    @Option(help: "PEM certificate chain, leaf first.")
    var cert: String

    @Option(help: "PEM private key of the certificate.")
    var key: String

    @Option(help: "PEM CA bundle for client certificates (requested when given).")
    var ca: String?

    @Flag(help: "Require a client certificate that chains to --ca (mutual TLS).")
    var requireClientCert = false

    @Flag(help: "Answer every new client with a Retry first (address validation, RFC 9000 §8.1.2).")
    var retry = false

    @Flag(help: "Echo every stream (bytes back, FIN after the peer's FIN) and every DATAGRAM.")
    var echo = false

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Log level on stderr (trace, debug, info, notice, warning, error, critical).")
    var logLevel = LogLevel(.warning)

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0…65535, not \(port)") }
        try requireReadableFile(cert, flag: "--cert")
        try requireReadableFile(key, flag: "--key")
        try requireReadableFile(ca, flag: "--ca")
        if requireClientCert && ca == nil { throw ValidationError("--require-client-cert needs --ca") }
        guard !alpnList.isEmpty else { throw ValidationError("--alpn must name a protocol") }
    }

    private var alpnList: [String] {
        alpn.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
    }

    func run() async throws {
        bootstrapLogging(level: logLevel.level)
        var tls = TLSConfiguration(role: .server, alpn: alpnList)
        tls.certificateChainFile = cert
        tls.privateKeyFile = key
        tls.trustRootsFile = ca
        tls.clientAuthentication = requireClientCert ? .required : (ca == nil ? .none : .optional)
        let context: TLSContext
        do {
            context = try TLSContext(configuration: tls)
        } catch {
            throw ValidationError("\(error)")
        }
        var endpoint = QUICEndpointConfiguration(server: QUICConfiguration(tls: context))
        endpoint.retry = retry ? .always : .never

        let signals = TerminationSignals()
        let server = try await QUICServer.bind(host: host, port: port, configuration: endpoint)
        let echo = self.echo
        let accepting = Task {
            await withDiscardingTaskGroup { group in
                for await connection in server.connections {
                    group.addTask { echo ? await connection.runEcho() : await connection.runDiscard() }
                }
            }
        }
        printLine("listening on \(formatHostPort(host, server.localAddress.port ?? port))")
        _ = await signals.wait()
        await server.close()   // CONNECTION_CLOSE to every client, then the socket
        await accepting.value
    }
}
