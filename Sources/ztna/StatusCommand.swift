import ArgumentParser
import Foundation
import NIOCore
import ZTNAConfig
import ZTNARuntime

/// `ztna status`: what a running relay, connector or agent is doing, as tables, from its admin API.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what a running daemon is doing (from its admin API, /api/v1/status).",
        discussion: """
            Without an address it asks the default admin addresses of an agent (127.0.0.1:9092), a connector
            (127.0.0.1:9091) and a relay (127.0.0.1:9090) on this machine and prints each that answers.
            Exit status 1 when none answers.
            """)

    @Argument(help: "Admin address HOST:PORT of a daemon (a literal address).")
    var address: String?

    @Flag(help: "Print the raw JSON instead of tables.")
    var json = false

    func run() async throws {
        let targets = try address.map { [try DaemonSupport.hostPort($0, flag: "address")] }
            ?? [AgentConfig.defaultAdmin, ConnectorConfig.defaultAdmin, RelayConfig.defaultAdmin]
        var answered = 0
        for target in targets {
            guard let address = try? SocketAddress(ipAddress: target.host, port: Int(target.port)),
                  let body = try? await Self.fetch(address) else {
                if self.address != nil { throw ValidationError("no daemon answers on \(target)") }
                continue
            }
            answered += 1
            if json {
                printLine(String(decoding: body, as: UTF8.self))
            } else {
                printLine(StatusTables.render(body, source: "\(target)"))
            }
        }
        if answered == 0 {
            FileHandle.standardError.write(Data("no ztna daemon answers on 127.0.0.1:9090, 9091 or 9092\n".utf8))
            throw ExitCode.failure
        }
    }

    /// GET /api/v1/status; the body when the answer is 200.
    static func fetch(_ address: SocketAddress) async throws -> [UInt8] {
        let response = try await withTimeLimit(.seconds(5), "status request") {
            try await LoopbackClients.tcpExchange(address, send: Array("GET /api/v1/status HTTP/1.0\r\nHost: ztna\r\n\r\n".utf8),
                                                  limit: 16 << 20)
        }
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, response.count - 3)).first(where: { Array(response[$0..<$0 + 4]) == separator }),
              String(decoding: response.prefix(16), as: UTF8.self).contains(" 200") else {
            throw ValidationError("unexpected answer from \(address)")
        }
        return Array(response[(end + 4)...])
    }
}
