// The network-namespace lab of DESIGN.md §11.4: three node namespaces on one "wan" /24, each on its own veth
// to a bridge that lives in a fourth namespace, so nothing of the lab touches the host's interfaces:
//
//     ztl-TAG-r (relay)  10.250.0.1 ─┐
//     ztl-TAG-c (connector) 10.250.0.2 ─┼─ br0 in ztl-TAG-w
//     ztl-TAG-a (agent)  10.250.0.3 ─┘
//
// Every lab has a random tag and holds an flock on /run/ztna-lab/TAG.lock for its lifetime. A namespace named
// `ztl-…` (or a scratch directory /tmp/ztl-…) whose lock nobody holds was left by a killed earlier run: the
// next lab kills what runs in it and deletes it. Labs running at the same time (in this process or another)
// keep each other's namespaces.

import Foundation
import Glibc
import Synchronization

/// One lab topology and everything started in it; `shutdown()` removes it all (processes first).
final class NamespaceLab: Sendable {
    /// The three node namespaces.
    enum Node: String, Sendable, CaseIterable {
        case relay = "r", connector = "c", agent = "a"

        /// The node's address on the wan /24.
        var address: String {
            switch self {
            case .relay: "10.250.0.1"
            case .connector: "10.250.0.2"
            case .agent: "10.250.0.3"
            }
        }
    }

    /// Who a started process runs as.
    enum User: Sendable {
        case root
        /// `nobody:nogroup` with no supplementary groups (and so no capabilities).
        case unprivileged
    }

    static let prefix = "ztl-"
    static let wanPrefixLength = 24
    static let lockDirectory = "/run/ztna-lab"

    /// The random tag in every name of this lab.
    let tag: String
    /// A scratch directory (PKI, configs, backend files), world-readable so an unprivileged agent can read its
    /// files; removed by `shutdown()`.
    let directory: String
    private let ip: URL
    private let lockDescriptor: Int32
    private let state = Mutex(State())

    private struct State {
        var processes: [LabProcess] = []
        var isShutDown = false
    }

    // MARK: - Names

    func namespace(_ node: Node) -> String { "\(Self.prefix)\(tag)-\(node.rawValue)" }

    /// The namespace holding the bridge.
    var wanNamespace: String { "\(Self.prefix)\(tag)-w" }

    var namespaces: [String] { Node.allCases.map(namespace) + [wanNamespace] }

    // MARK: - Life cycle

    /// Runs `body` in a fresh lab and removes the lab afterwards, also when `body` throws.
    static func withLab<R>(needing need: LabEnvironment.Need, _ body: (NamespaceLab) async throws -> R) async throws -> R {
        let lab = try create(needing: need)
        do {
            let result = try await body(lab)
            await lab.shutdown()
            return result
        } catch {
            await lab.shutdown()
            throw error
        }
    }

    /// Removes stale namespaces of killed runs, then builds a new topology.
    static func create(needing need: LabEnvironment.Need) throws -> NamespaceLab {
        try LabEnvironment.current.require(need)
        let ip = try LabEnvironment.current.tool("ip")
        try FileManager.default.createDirectory(atPath: lockDirectory, withIntermediateDirectories: true)
        let (tag, descriptor) = try claimTag()
        let lab = NamespaceLab(tag: tag, lockDescriptor: descriptor, ip: ip)
        removeStaleNamespaces(ip: ip)
        do {
            try FileManager.default.createDirectory(atPath: lab.directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
            try lab.buildTopology()
        } catch {
            lab.removeEverything()
            throw error
        }
        return lab
    }

    private init(tag: String, lockDescriptor: Int32, ip: URL) {
        self.tag = tag
        self.lockDescriptor = lockDescriptor
        self.ip = ip
        directory = NSTemporaryDirectory() + "\(Self.prefix)\(tag)"
    }

    /// Stops every process (SIGTERM, SIGKILL after 5 s), kills anything else left in the namespaces, deletes
    /// the namespaces and the scratch directory. Safe to call twice.
    func shutdown() async {
        let processes = state.withLock { state in
            defer { state.processes.removeAll() }
            return state.isShutDown ? [] : state.processes
        }
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.stop() } }
        }
        removeEverything()
    }

    /// A safety net for a test that never reached `shutdown()`.
    deinit {
        removeEverything()
    }

    // MARK: - Running things inside

    /// Starts `executable arguments…` in `node`'s namespace as `user`, tracked for `shutdown()`; its watchdog
    /// kills it after `timeoutSeconds` at the latest.
    func start(_ name: String, _ executable: URL, _ arguments: [String], in node: Node, as user: User = .root,
               timeoutSeconds: Int = 600) throws -> LabProcess {
        let child = try ChildProcess(executable: ip, arguments: wrap(executable, arguments, in: node, as: user),
                                     timeoutSeconds: timeoutSeconds)
        let process = LabProcess(name: name, child: child)
        let accepted = state.withLock { state in
            guard !state.isShutDown else { return false }
            state.processes.append(process)
            return true
        }
        guard accepted else {
            child.send(signal: SIGKILL)
            throw LabError("the lab \(tag) is shut down")
        }
        return process
    }

    /// Runs `executable arguments…` in `node`'s namespace to completion (killed after `timeoutSeconds`).
    func run(_ executable: URL, _ arguments: [String], in node: Node, as user: User = .root,
             timeoutSeconds: Int = 30) async throws -> ChildProcess.Exit {
        let child = try ChildProcess(executable: ip, arguments: wrap(executable, arguments, in: node, as: user),
                                     timeoutSeconds: timeoutSeconds)
        return await child.exit()
    }

    /// `ip -n NAMESPACE arguments…` (for inspecting links and routes); throws unless it exits 0.
    @discardableResult
    func ip(_ arguments: [String], in namespace: String) throws -> String {
        try LabCommand.check(ip, ["-n", namespace] + arguments)
    }

    /// `ip netns exec NS [setpriv …] EXECUTABLE ARGUMENTS…`: both exec, so the child's pid is the program's.
    private func wrap(_ executable: URL, _ arguments: [String], in node: Node, as user: User) throws -> [String] {
        var wrapped = ["netns", "exec", namespace(node)]
        if user == .unprivileged {
            wrapped += [try LabEnvironment.current.tool("setpriv").path,
                        "--reuid=\(LabEnvironment.unprivilegedUser)", "--regid=\(LabEnvironment.unprivilegedGroup)",
                        "--clear-groups", "--"]
        }
        return wrapped + [executable.path] + arguments
    }

    // MARK: - Topology

    private func buildTopology() throws {
        for name in namespaces { try LabCommand.check(ip, ["netns", "add", name]) }
        try ip(["link", "set", "lo", "up"], in: wanNamespace)
        try ip(["link", "add", "br0", "type", "bridge"], in: wanNamespace)
        try ip(["link", "set", "br0", "up"], in: wanNamespace)
        for node in Node.allCases {
            let port = "v\(node.rawValue)"   // in the wan namespace; the node side is eth0
            try ip(["link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace(node)],
                   in: wanNamespace)
            try ip(["link", "set", port, "master", "br0"], in: wanNamespace)
            try ip(["link", "set", port, "up"], in: wanNamespace)
            try ip(["link", "set", "lo", "up"], in: namespace(node))
            try ip(["addr", "add", "\(node.address)/\(Self.wanPrefixLength)", "dev", "eth0"], in: namespace(node))
            try ip(["link", "set", "eth0", "up"], in: namespace(node))
        }
    }

    // MARK: - Clean-up

    /// Kills what is left in this lab's namespaces, deletes them, the scratch directory and the lock.
    private func removeEverything() {
        let first = state.withLock { state in
            defer { state.isShutDown = true }
            return !state.isShutDown
        }
        guard first else { return }
        for name in namespaces { Self.removeNamespace(name, ip: ip) }
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.removeItem(atPath: Self.lockPath(tag))
        close(lockDescriptor)
    }

    /// SIGKILLs every process in `name` (bounded wait until they are gone), then deletes it.
    private static func removeNamespace(_ name: String, ip: URL) {
        guard namespaceNames(ip: ip).contains(name) else { return }
        for _ in 0..<50 {
            let pids = (LabCommand.run(ip, ["netns", "pids", name])?.output ?? "")
                .split(whereSeparator: \.isWhitespace).compactMap { pid_t($0) }
            if pids.isEmpty { break }
            for pid in pids { kill(pid, SIGKILL) }
            usleep(100_000)   // a SIGKILLed process is reaped within milliseconds; bounded by the loop
        }
        _ = LabCommand.run(ip, ["netns", "del", name])
    }

    private static func namespaceNames(ip: URL) -> [String] {
        (LabCommand.run(ip, ["netns", "list"])?.output ?? "").split(separator: "\n")
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// Deletes `ztl-TAG-…` namespaces and `ztl-TAG` scratch directories whose TAG lock nobody holds.
    private static func removeStaleNamespaces(ip: URL) {
        let scratch = NSTemporaryDirectory()
        var tags = Set(namespaceNames(ip: ip).compactMap { name -> String? in
            guard name.hasPrefix(prefix), let dash = name.lastIndex(of: "-") else { return nil }
            return String(name[name.index(name.startIndex, offsetBy: prefix.count)..<dash])
        })
        let directories = (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []
        tags.formUnion(directories.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) })
        for tag in tags where !tag.isEmpty && !tag.contains("/") && !tag.contains("-") {
            let descriptor = open(lockPath(tag), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            // Held: a live lab. Free: its owner died (the kernel drops an flock with its last descriptor).
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            for name in namespaceNames(ip: ip) where name.hasPrefix("\(prefix)\(tag)-") {
                removeNamespace(name, ip: ip)
            }
            try? FileManager.default.removeItem(atPath: scratch + prefix + tag)
            unlink(lockPath(tag))
        }
    }

    /// A fresh random tag with its lock held.
    private static func claimTag() throws -> (String, Int32) {
        for _ in 0..<16 {
            let tag = String(UInt32.random(in: 0..<(1 << 24)), radix: 16).leftPadded(to: 6)
            let descriptor = open(lockPath(tag), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw LabError("cannot create \(lockPath(tag)): errno \(errno)") }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return (tag, descriptor) }
            close(descriptor)
        }
        throw LabError("no free lab tag in \(lockDirectory)")
    }

    private static func lockPath(_ tag: String) -> String { "\(lockDirectory)/\(tag).lock" }
}

extension String {
    /// Zero-padded on the left to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
