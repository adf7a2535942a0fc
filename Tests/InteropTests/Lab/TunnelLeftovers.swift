// What an agent must not leave behind when it stops (DESIGN.md §8: graceful shutdown): its TUN device and the
// /32 routes to the services' virtual IPs. Read from `ip -n NS link` and `ip -n NS route`, so the check sees
// exactly what a user would.

import Foundation
import Testing

/// Finds the tunnel device and virtual-IP routes left in a namespace.
enum TunnelLeftovers {
    /// The default device name and virtual-IP pool of the lab (`LabDeployment`).
    static let device = LabDeployment.tunName
    static let pool = "10.100.0."

    /// Every leftover in `namespace`: a link named `device` or of TUN type, a route (any table, IPv4 or IPv6)
    /// into `pool` or through `device`. Empty when clean.
    static func find(namespace: String, device: String = device, pool: String = pool) throws -> [String] {
        let ip = try LabEnvironment.current.tool("ip")
        var leftovers: [String] = []
        // `-o` puts each link on one line; `-d` adds the kind (`tun type tun …`).
        for line in try LabCommand.check(ip, ["-n", namespace, "-d", "-o", "link", "show"]).split(separator: "\n") {
            let name = line.split(separator: ":", maxSplits: 2).dropFirst().first?
                .trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? ""
            if name == device || line.contains(" tun type tun ") {
                leftovers.append("link \(name): \(line.prefix(120))")
            }
        }
        for family in ["-4", "-6"] {
            let routes = try LabCommand.check(ip, ["-n", namespace, family, "-o", "route", "show", "table", "all"])
            for line in routes.split(separator: "\n")
            where line.contains(pool) || line.contains("dev \(device) ") || line.hasSuffix("dev \(device)") {
                leftovers.append("route \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        return leftovers
    }
}

/// Records an issue for every TUN device or virtual-IP route left in `namespace` (after the agent stopped).
func assertNoTunnelLeftovers(namespace: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let leftovers = try TunnelLeftovers.find(namespace: namespace)
    #expect(leftovers.isEmpty, "left in \(namespace):\n\(leftovers.joined(separator: "\n"))",
            sourceLocation: sourceLocation)
}
