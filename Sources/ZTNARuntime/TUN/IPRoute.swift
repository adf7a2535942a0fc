#if os(Linux)
import Glibc

// MARK: - iproute2 helper for the agent's TUN set-up

/// Runs `ip` (iproute2) to configure a TUN interface and its routes. The agent installs one /32 (or /128)
/// per service virtual IP and removes them on exit. Every call may name a network namespace (`ip -n`).
public enum IPRoute {
    /// `ip [-n ns] addr add <cidr> dev <device>`
    public static func addAddress(_ cidr: String, device: String, namespace: String? = nil) throws(IPRouteError) {
        try run(["addr", "add", cidr, "dev", device], namespace: namespace)
    }

    /// `ip [-n ns] link set <device> mtu <mtu>`
    public static func setMTU(_ mtu: Int, device: String, namespace: String? = nil) throws(IPRouteError) {
        try run(["link", "set", device, "mtu", String(mtu)], namespace: namespace)
    }

    /// `ip [-n ns] link set <device> up`
    public static func setUp(device: String, namespace: String? = nil) throws(IPRouteError) {
        try run(["link", "set", device, "up"], namespace: namespace)
    }

    /// `ip [-n ns] route add <destination> dev <device> [src <source>]` (e.g. "10.201.0.2/32"). With `source`
    /// the kernel uses that address for connections over the route (the agent's tunnel address).
    public static func addRoute(_ destination: String, device: String, source: String? = nil,
                                namespace: String? = nil) throws(IPRouteError) {
        try run(["route", "add", destination, "dev", device] + (source.map { ["src", $0] } ?? []), namespace: namespace)
    }

    /// `ip [-n ns] route del <destination> dev <device>`
    public static func removeRoute(_ destination: String, device: String, namespace: String? = nil) throws(IPRouteError) {
        try run(["route", "del", destination, "dev", device], namespace: namespace)
    }

    /// `ip link set <device> netns <namespace>` (an open TUN descriptor keeps working after the move).
    public static func moveToNamespace(device: String, namespace: String) throws(IPRouteError) {
        try run(["link", "set", device, "netns", namespace])
    }

    /// `ip netns add <name>`
    public static func addNamespace(_ name: String) throws(IPRouteError) {
        try run(["netns", "add", name])
    }

    /// `ip netns del <name>`
    public static func deleteNamespace(_ name: String) throws(IPRouteError) {
        try run(["netns", "del", name])
    }

    /// Runs `ip [-n namespace] <arguments>` and returns its output; throws with the output on failure.
    @discardableResult
    public static func run(_ arguments: [String], namespace: String? = nil) throws(IPRouteError) -> String {
        let full = ["ip"] + (namespace.map { ["-n", $0] } ?? []) + arguments
        let process = try TUNSubprocess(full)
        let status = process.waitUntilExit()
        guard status == 0 else { throw IPRouteError(arguments: full, status: status, output: process.outputText) }
        return process.outputText
    }
}

/// An `ip` command failed (or could not be started).
public struct IPRouteError: Error, Hashable, CustomStringConvertible {
    public var arguments: [String]
    /// Exit status (-1 when it could not start).
    public var status: Int32
    public var output: String

    public init(arguments: [String], status: Int32, output: String) {
        self.arguments = arguments
        self.status = status
        self.output = output
    }

    public var description: String { "\(arguments.joined(separator: " ")) exited \(status): \(output)" }
}
#endif
