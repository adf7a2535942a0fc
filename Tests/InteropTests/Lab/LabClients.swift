// The real clients of the lab — curl, a UDP echo probe in python3, ping, iperf3 — run inside a namespace
// (the agent's, for traffic through the tunnel). Each returns passed, or failed with what the
// client saw (a `LabProbe`), so that a test can retry within a bound and report the last failure.

import Foundation

/// Clients that run in one of the lab's namespaces.
struct LabClients: Sendable {
    let lab: NamespaceLab
    let node: NamespaceLab.Node

    // MARK: - Probes

    /// `curl URL` must return exactly `expected`.
    func fetch(_ url: String, expecting expected: [UInt8]) async throws -> LabProbe {
        let output = "\(lab.directory)/fetched-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let exit = try await lab.run(try tool("curl"), ["-sS", "--fail", "--max-time", "10", "-o", output, url],
                                     in: node, timeoutSeconds: 20)
        guard exit.succeeded else { return .failed("curl \(url): status \(exit.status): \(exit.stderr)") }
        let body = FileManager.default.contents(atPath: output).map { [UInt8]($0) } ?? []
        guard body == expected else {
            return .failed("curl \(url): \(body.count) bytes differ from the \(expected.count) expected")
        }
        return .passed
    }

    /// One datagram of `size` random bytes to `host:port` must come back unchanged within 2 s.
    func udpEcho(host: String, port: Int, size: Int = 512) async throws -> LabProbe {
        let payload = (0..<size).map { _ in UInt8.random(in: 0...255) }
        let hex = payload.map { String(format: "%02x", $0) }.joined()
        let exit = try await lab.run(try tool("python3"), ["-c", Self.udpEchoScript, host, String(port), hex, "2"],
                                     in: node, timeoutSeconds: 15)
        let expected = "echo \(hex)"
        guard exit.succeeded, exit.stdout.split(separator: "\n").contains(where: { $0 == expected }) else {
            return .failed("UDP echo via \(host):\(port): status \(exit.status): \(exit.stdout.prefix(200)) \(exit.stderr)")
        }
        return .passed
    }

    /// `ping -c COUNT HOST` must get every reply.
    func ping(_ host: String, count: Int = 3) async throws -> LabProbe {
        let exit = try await lab.run(try tool("ping"), ["-n", "-c", String(count), "-i", "0.2", "-W", "2", host],
                                     in: node, timeoutSeconds: 30)
        guard exit.succeeded, exit.stdout.contains("\(count) packets transmitted, \(count) received") else {
            return .failed("ping \(host): status \(exit.status): \(exit.stdout) \(exit.stderr)")
        }
        return .passed
    }

    /// `iperf3 -c HOST -p PORT -t SECONDS -J`: exits 0 and the receiver counted bytes (returned).
    func iperf(_ host: String, port: Int, seconds: Int) async throws -> (LabProbe, bytes: Int) {
        let exit = try await lab.run(try tool("iperf3"),
                                     ["-c", host, "-p", String(port), "-t", String(seconds), "-J", "--connect-timeout", "5000"],
                                     in: node, timeoutSeconds: seconds + 30)
        let report = (try? JSONSerialization.jsonObject(with: Data(exit.stdout.utf8))) as? [String: Any]
        let end = report?["end"] as? [String: Any]
        let received = (end?["sum_received"] as? [String: Any])?["bytes"] as? Int ?? 0
        guard exit.succeeded, received > 0 else {
            return (.failed("iperf3 -c \(host): status \(exit.status), \(received) bytes: \(exit.stdout.suffix(400))"), received)
        }
        return (.passed, received)
    }

    private func tool(_ name: String) throws -> URL { try LabEnvironment.current.tool(name) }

    // MARK: - Scripts

    /// argv: host port payload-hex timeout-seconds. Prints `echo HEX` of the reply; exit 0 when it matches.
    private static let udpEchoScript = """
        import socket, sys
        host, port, payload, timeout = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), float(sys.argv[4])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        s.sendto(payload, (host, port))
        try:
            data, _ = s.recvfrom(65535)
        except (socket.timeout, OSError) as error:
            print("no reply:", error)
            sys.exit(2)
        print("echo " + data.hex())
        sys.exit(0 if data == payload else 3)
        """
}
