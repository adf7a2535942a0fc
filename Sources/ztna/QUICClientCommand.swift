import ArgumentParser
import Logging
import NIOCore
import QUICCore
import QUICNIO
import QUICTLS

/// `ztna quic client`: connects, exchanges DATAGRAMs and/or stream bytes with an echo server, verifies the
/// echo and prints one JSON line. Exits 0 only when the exchange verified.
struct QUICClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Connect to a QUIC echo server, verify the echo, print one line of JSON.")

    /// The TLS 1.3 cipher suite to restrict the offer to.
    enum Cipher: String, CaseIterable, ExpressibleByArgument {
        case aes128, aes256, chacha20

        var suite: UInt16 {
            switch self {
            case .aes128: return 0x1301
            case .aes256: return 0x1302
            case .chacha20: return 0x1303
            }
        }
    }

    @Argument(help: "Server address, HOST:PORT ([IPv6]:PORT).")
    var address: String

    @Option(help: "ALPN protocol to offer (several: comma-separated).")
    var alpn: String

    @Option(help: "PEM CA bundle to verify the server with (default: the system trust roots).")
    var ca: String?

    @Option(help: "Server name for SNI and certificate verification (default: HOST).")
    var serverName: String?

    @Option(help: "PEM client certificate chain (mutual TLS; needs --key).")
    var cert: String?

    @Option(help: "PEM private key of --cert.")
    var key: String?

    @Option(help: "Offer only this cipher suite.")
    var ciphers: Cipher?

    @Option(help: "Number of DATAGRAMs to send.")
    var datagrams = 0

    @Option(help: "Bytes per DATAGRAM (at least 4).")
    var size = 1_000

    @Option(help: "Bytes to send on one bidirectional stream (FIN after them).")
    var streamBytes = 0

    @Option(help: "Seconds the whole exchange may take.")
    var timeout = 10.0

    @Flag(help: "Start a 1-RTT key update (RFC 9001 §6) before the exchange.")
    var keyUpdate = false

    @Option(help: "Log level on stderr (trace, debug, info, notice, warning, error, critical).")
    var logLevel = LogLevel(.warning)

    func validate() throws {
        guard parseHostPort(address) != nil else {
            throw ValidationError("bad address '\(address)': expected HOST:PORT or [IPv6]:PORT")
        }
        guard datagrams >= 0, streamBytes >= 0 else { throw ValidationError("counts must not be negative") }
        guard datagrams == 0 || (4...65_535).contains(size) else { throw ValidationError("--size must be 4…65535") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard (cert == nil) == (key == nil) else { throw ValidationError("--cert and --key go together") }
        try requireReadableFile(ca, flag: "--ca")
        try requireReadableFile(cert, flag: "--cert")
        try requireReadableFile(key, flag: "--key")
    }

    func run() async throws {
        bootstrapLogging(level: logLevel.level)
        guard let (host, port) = parseHostPort(address) else { throw ValidationError("bad address '\(address)'") }
        let remote: SocketAddress
        do {
            remote = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw ValidationError("cannot resolve '\(host)': \(error)")
        }
        var tls = TLSConfiguration(role: .client, alpn: alpn.split(separator: ",").map { String($0) })
        tls.trustRootsFile = ca   // nil: the system trust roots
        tls.certificateChainFile = cert
        tls.privateKeyFile = key
        tls.cipherSuites = ciphers.map { [$0.suite] }
        let context: TLSContext
        do {
            context = try TLSContext(configuration: tls)
        } catch {
            throw ValidationError("\(error)")
        }
        var probe = QUICEchoProbe(datagramCount: datagrams, datagramSize: size, streamBytes: streamBytes,
                                  timeout: .milliseconds(Int64(timeout * 1000)))
        probe.keyUpdate = keyUpdate
        let report = await probe.run(to: remote, serverName: serverName ?? host,
                                     configuration: QUICConfiguration(tls: context))
        printLine(report.jsonLine)
        if !report.ok { throw ExitCode(1) }
    }
}
