// What the network-namespace lab (DESIGN.md §11.4) needs from the machine — root, iproute2, the client tools,
// the `ztna` binary — and whether a missing piece skips its suites (with the reason) or fails them
// (ZTNA_REQUIRE_INTEROP=1, as scripts/test sets in CI). Located once per test process.

import Foundation
import Glibc
import Testing

/// The machine as the lab sees it.
struct LabEnvironment: Sendable {
    /// What a suite needs: the port-forward suites need less than the TUN suite.
    enum Need: Sendable {
        /// Namespaces, curl, python3 (HTTP backend, UDP probes), setpriv (the unprivileged agent), ping.
        case portForward
        /// Namespaces and /dev/net/tun (a TUN device made by `ip tuntap`, no agent).
        case tunDevice
        /// The agent's TUN mode: namespaces, /dev/net/tun, curl, python3, ping and iperf3.
        case tun

        var tools: [String] {
            switch self {
            case .portForward: ["ip", "curl", "python3", "setpriv", "ping"]
            case .tunDevice: ["ip"]
            case .tun: ["ip", "curl", "python3", "ping", "iperf3"]
            }
        }
    }

    static let current = LabEnvironment()

    /// The Debian package that provides each tool, for the skip message.
    static let packages: [String: String] = [
        "ip": "iproute2", "curl": "curl", "python3": "python3", "setpriv": "util-linux", "ping": "iputils-ping",
        "iperf3": "iperf3",
    ]

    /// The user and group an unprivileged agent runs as.
    static let unprivilegedUser = "nobody"
    static let unprivilegedGroup = "nogroup"

    let isRoot: Bool
    /// Tool name → absolute path, for the tools found.
    let tools: [String: URL]
    /// ZTNA_REQUIRE_INTEROP=1: a missing prerequisite fails the lab tests instead of skipping them.
    let isRequired: Bool
    private let unprivilegedAccountExists: Bool
    private let hasTUNDevice: Bool

    // MARK: - Test conditions

    /// Everything `need` requires is here — or it is required, so that the test runs and fails naming it.
    func canRun(_ need: Need) -> Bool { problems(need).isEmpty || isRequired }

    /// The reason a suite needing `need` is skipped (shown by `swift test`).
    func skipComment(_ need: Need) -> Comment {
        let problems = problems(need)
        return Comment(rawValue: problems.isEmpty ? "lab prerequisites present" : "network-namespace lab skipped: "
            + problems.joined(separator: "; "))
    }

    /// Throws the missing prerequisites (reached only when ZTNA_REQUIRE_INTEROP=1 made the suite run anyway).
    func require(_ need: Need) throws {
        let problems = problems(need)
        guard problems.isEmpty else { throw InteropEnvironment.Missing(message: problems.joined(separator: "; ")) }
    }

    /// The absolute path of `name` (one of the `Need.tools`).
    func tool(_ name: String) throws -> URL {
        guard let url = tools[name] else {
            throw InteropEnvironment.Missing(message: "`\(name)` not found (Debian package \(Self.packages[name] ?? name))")
        }
        return url
    }

    /// Everything missing for `need`, each with how to get it.
    func problems(_ need: Need) -> [String] {
        var problems: [String] = []
        if !isRoot { problems.append("needs root for network namespaces (CI runs as root)") }
        for name in need.tools where tools[name] == nil {
            problems.append("`\(name)` not found (Debian package \(Self.packages[name] ?? name))")
        }
        let ztna = InteropEnvironment.current.ztna
        if ztna.url == nil { problems.append(ztna.problem) }
        switch need {
        case .portForward:
            if !unprivilegedAccountExists {
                problems.append("no user \(Self.unprivilegedUser) / group \(Self.unprivilegedGroup) for the unprivileged agent")
            }
        case .tunDevice, .tun:
            if !hasTUNDevice { problems.append("/dev/net/tun is missing") }
        }
        return problems
    }

    // MARK: - Discovery

    private init() {
        let environment = ProcessInfo.processInfo.environment
        isRoot = geteuid() == 0
        isRequired = environment["ZTNA_REQUIRE_INTEROP"] == "1"
        // sbin directories are often missing from a non-root PATH; `ip` lives there.
        let searchPath = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        var found: [String: URL] = [:]
        for name in Set(Need.portForward.tools + Need.tun.tools) {
            if let directory = searchPath.first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }) {
                found[name] = URL(fileURLWithPath: "\(directory)/\(name)")
            }
        }
        tools = found
        unprivilegedAccountExists = getpwnam(Self.unprivilegedUser) != nil && getgrnam(Self.unprivilegedGroup) != nil
        hasTUNDevice = FileManager.default.fileExists(atPath: "/dev/net/tun")
    }
}
