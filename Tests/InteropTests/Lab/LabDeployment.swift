// The deployment the lab runs: a throwaway CA and one certificate per node made by `ztna certs` (DESIGN.md §7),
// and the relay, connector and agent JSON configurations (DESIGN.md §5) for the lab's addresses.
//
//   service  connector port → backend (in the connector namespace)   agent virtual IP
//   web      tcp 80   → 127.0.0.1:8080 (python3 -m http.server)       10.100.0.2
//   echo     udp 7    → 127.0.0.1:9999 (ztna echo --udp), icmp       10.100.0.1
//   iperf    tcp 5201 → 127.0.0.1:5201 (iperf3 -s)                    10.100.0.3

import Foundation
import Glibc

/// Certificates and configuration files of one lab deployment, in the lab's scratch directory.
struct LabDeployment: Sendable {
    /// One service as both the connector and the agent see it.
    struct Service: Sendable {
        let id: String
        let port: Int
        let `protocol`: String
        let backendPort: Int
        let virtualIP: String
        let icmp: Bool
    }

    /// A port forward of the agent (port-forward mode).
    struct Forward: Sendable {
        let `protocol`: String
        let listen: String
        let service: String
        let port: Int

        /// The `--forward` spelling, for messages.
        var flag: String { "\(`protocol` == "udp" ? "udp:" : "")\(listen)=\(service):\(port)" }
    }

    /// How the agent runs: the one parameter between the port-forward suites and the TUN suite.
    enum AgentMode: Sendable {
        /// `--no-tun` with these forwards (no root needed).
        case portForward([Forward])
        /// The `"tun"` key (`ztna0`, MTU 1280, 10.100.0.254) and a /32 route per virtual IP; runs as root.
        case tun
    }

    static let web = Service(id: "web", port: 80, protocol: "tcp", backendPort: 8080, virtualIP: "10.100.0.2", icmp: false)
    static let echo = Service(id: "echo", port: 7, protocol: "udp", backendPort: 9999, virtualIP: "10.100.0.1", icmp: true)
    static let iperf = Service(id: "iperf", port: 5201, protocol: "tcp", backendPort: 5201, virtualIP: "10.100.0.3",
                               icmp: false)
    static let services = [web, echo, iperf]

    /// The port-forward suites' forwards: `127.0.0.1:8080=web:80` and `udp:127.0.0.1:9999=echo:7`.
    static let forwards = [
        Forward(protocol: "tcp", listen: "127.0.0.1:8080", service: "web", port: 80),
        Forward(protocol: "udp", listen: "127.0.0.1:9999", service: "echo", port: 7),
    ]

    static let relayPort = 4433
    static let connectorPort = 4434
    static let tunName = "ztna0"
    static let tunAddress = "10.100.0.254"
    static let tunMTU = 1280
    /// Each daemon's admin HTTP on its namespace's loopback (the namespaces keep the defaults apart).
    static let adminPorts: [NamespaceLab.Node: Int] = [.relay: 9090, .connector: 9091, .agent: 9092]

    let lab: NamespaceLab
    /// Holds ca.crt, the node certificates and keys, and the three JSON files.
    let pki: String
    /// The binary the root daemons run.
    let ztna: URL
    /// The binary the agent runs: `ztna`, or a copy in the scratch directory when `nobody` cannot reach it.
    let agentZtna: URL
    let agentUser: NamespaceLab.User

    var relayConfig: String { "\(pki)/relay.json" }
    var connectorConfig: String { "\(pki)/connector.json" }
    var agentConfig: String { "\(pki)/agent.json" }

    // MARK: - Creation

    /// Issues the CA and the node certificates and writes the relay and connector configurations; the agent's
    /// key and certificate belong to `agentUser` with mode 0600.
    static func create(in lab: NamespaceLab, agentUser: NamespaceLab.User) async throws -> LabDeployment {
        let ztna = try InteropEnvironment.current.requireZtna()
        let pki = "\(lab.directory)/pki"
        let names = servicesList
        for arguments in [["certs", "init", "--dir", pki],
                          ["certs", "issue", "relay", "--name", NamespaceLab.Node.relay.address, "--dir", pki],
                          ["certs", "issue", "connector", "--name", "conn-1", "--services", names, "--dir", pki],
                          ["certs", "issue", "agent", "--name", "alice", "--services", names, "--dir", pki]] {
            let exit = try await RelayDaemon.ztna(arguments)
            guard exit.succeeded else { throw LabError("ztna \(arguments.joined(separator: " ")): \(exit.stderr)") }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: pki)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(pki)/ca.crt")
        var agentZtna = ztna
        if agentUser == .unprivileged {
            try giveToUnprivilegedUser(["\(pki)/alice.crt", "\(pki)/alice.key"])
            agentZtna = try reachableByEveryone(ztna, copyInto: lab.directory)
        }
        let deployment = LabDeployment(lab: lab, pki: pki, ztna: ztna, agentZtna: agentZtna, agentUser: agentUser)
        try deployment.write(deployment.relayDocument, to: deployment.relayConfig)
        try deployment.write(deployment.connectorDocument, to: deployment.connectorConfig)
        return deployment
    }

    /// Writes the agent's configuration for `mode` (readable by everyone: it holds no secret).
    func writeAgentConfig(_ mode: AgentMode) throws {
        try write(agentDocument(mode), to: agentConfig)
    }

    /// The arguments of `ztna agent` for `mode`.
    func agentArguments(_ mode: AgentMode) -> [String] {
        switch mode {
        case .portForward: ["agent", "--config", agentConfig, "--no-tun"]
        case .tun: ["agent", "--config", agentConfig]
        }
    }

    // MARK: - Documents (DESIGN.md §5)

    private static var servicesList: String { services.map(\.id).joined(separator: ",") }

    private func identity(_ name: String) -> [String: String] {
        ["certificate": "\(pki)/\(name).crt", "privateKey": "\(pki)/\(name).key", "trustRoots": "\(pki)/ca.crt"]
    }

    private func admin(_ node: NamespaceLab.Node) -> String { "127.0.0.1:\(Self.adminPorts[node] ?? 0)" }

    private var relayAddress: String { "\(NamespaceLab.Node.relay.address):\(Self.relayPort)" }

    private var relayDocument: [String: Any] {
        ["listen": relayAddress, "identity": identity(NamespaceLab.Node.relay.address), "admin": admin(.relay)]
    }

    private var connectorDocument: [String: Any] {
        ["relays": [relayAddress], "listen": "0.0.0.0:\(Self.connectorPort)", "identity": identity("conn-1"),
         "admin": admin(.connector),
         "services": Self.services.map { service -> [String: Any] in
             ["id": service.id, "icmp": service.icmp,
              "ports": [["port": service.port, "protocol": service.protocol,
                         "backend": "127.0.0.1:\(service.backendPort)"]]]
         }]
    }

    private func agentDocument(_ mode: AgentMode) -> [String: Any] {
        var document: [String: Any] = [
            "relays": [relayAddress], "identity": identity("alice"), "admin": admin(.agent),
            "services": Self.services.map { ["id": $0.id, "virtualIP": $0.virtualIP] },
        ]
        switch mode {
        case .portForward(let forwards):
            document["forwards"] = forwards.map { forward -> [String: Any] in
                ["listen": forward.listen, "service": forward.service, "port": forward.port,
                 "protocol": forward.protocol]
            }
        case .tun:
            document["tun"] = ["name": Self.tunName, "mtu": Self.tunMTU, "address": Self.tunAddress] as [String: Any]
        }
        return document
    }

    private func write(_ document: [String: Any], to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
    }

    // MARK: - The unprivileged agent

    /// `chown nobody:nogroup` and `chmod 0600`: the agent refuses keys readable by others (DESIGN.md §7).
    private static func giveToUnprivilegedUser(_ paths: [String]) throws {
        guard let user = getpwnam(LabEnvironment.unprivilegedUser), let group = getgrnam(LabEnvironment.unprivilegedGroup)
        else { throw LabError("no user \(LabEnvironment.unprivilegedUser) / group \(LabEnvironment.unprivilegedGroup)") }
        let (uid, gid) = (user.pointee.pw_uid, group.pointee.gr_gid)
        for path in paths {
            guard chown(path, uid, gid) == 0, chmod(path, 0o600) == 0 else {
                throw LabError("cannot give \(path) to \(LabEnvironment.unprivilegedUser): errno \(errno)")
            }
        }
    }

    /// `binary` when every directory above it and the file itself are executable by others; else a copy in
    /// `directory` (a checkout under /root is not reachable by `nobody`).
    private static func reachableByEveryone(_ binary: URL, copyInto directory: String) throws -> URL {
        var path = binary.resolvingSymlinksInPath().path
        var reachable = true
        while path != "/" && !path.isEmpty {
            var info = stat()
            if stat(path, &info) != 0 || info.st_mode & S_IXOTH == 0 { reachable = false }
            path = (path as NSString).deletingLastPathComponent
        }
        guard !reachable else { return binary }
        let copy = URL(fileURLWithPath: "\(directory)/ztna")
        try FileManager.default.copyItem(at: binary, to: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        return copy
    }
}
