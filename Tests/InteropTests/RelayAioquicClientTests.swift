// A foreign relay client (issue 4): aioquic, written from DESIGN.md §3 alone, registers as an agent with our
// relay over mTLS and receives OBSERVED_ADDRESS, REGISTER_ACK, SERVICE_STATUS — and REGISTER_NACK 02 for a
// service its certificate does not grant.

import Foundation
import Testing

@Suite(
    "aioquic as a ztna-v1 relay client",
    .enabled(if: InteropEnvironment.current.canRunCrossTests,
             "needs the ztna binary and a python with aioquic (see InteropEnvironment)"),
    .timeLimit(.minutes(2))
)
struct RelayAioquicClientTests {
    private struct Report: Decodable {
        let ok: Bool
        let observedAddress: String?
        let acks: [String]
        let nacks: [String: Int]
        let status: [String: Int]
        let unknown: Int
        let error: String?
    }

    @Test func aioquicAgentRegistersAndLearnsItsAddress() async throws {
        let environment = InteropEnvironment.current
        let directory = try await RelayDaemon.makeDeployment()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await RelayDaemon.issue("agent", "py-agent", services: "web", in: directory)
        let relay = try await RelayDaemon.start(in: directory)

        let client = try ChildProcess(
            executable: try environment.requirePython(),
            arguments: [environment.relayClientScript.path, relay.address, "--server-name", "localhost",
                        "--ca", "\(directory)/ca.crt", "--cert", "\(directory)/py-agent.crt",
                        "--key", "\(directory)/py-agent.key", "--register-agent", "web", "--register-agent", "db"],
            timeoutSeconds: 30)
        let exit = await client.exit()
        let relayExit = await relay.process.stop()
        let line = try #require(exit.stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
                                "client: \(exit.stderr)\nrelay: \(relayExit.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(line.utf8))
        #expect(report.ok, "\(report.error ?? "")\nrelay: \(relayExit.stderr)")
        #expect(report.observedAddress?.hasPrefix("127.0.0.1:") == true)
        #expect(report.acks == ["web"])
        #expect(report.nacks == ["db": 2])
        #expect(report.status == ["web": 0])   // no connector registered
        #expect(report.unknown == 0)
        #expect(relayExit.stderr.contains("relay client admitted"))
    }
}
