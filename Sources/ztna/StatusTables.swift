import Foundation

/// Renders a daemon's `/api/v1/status` JSON as the tables `ztna status` prints.
enum StatusTables {
    static func render(_ body: [UInt8], source: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return "\(source): not a status document"
        }
        let role = object["role"] as? String ?? "?"
        var out = ["\(role) at \(source)"]
        if let relays = object["relays"] as? [[String: Any]] {
            out.append(table(["relay", "connected", "registrations", "observed address", "rtt ms"], relays.map { relay in
                [text(relay["relay"]), (relay["connected"] as? Bool) == true ? "yes" : "no",
                 (relay["registrations"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }
                    .map { "\($0.key)=\($0.value)" }.joined(separator: " "),
                 text(relay["observedAddress"]), number(relay["rttMilliseconds"])]
            }))
        }
        if let connections = object["connections"] as? [[String: Any]] {
            out.append(table(["id", "name", "roles", "address", "agent of", "connector of", "rtt ms", "bytes in/out"],
                             connections.map { connection in
                [text(connection["id"]), text(connection["name"]), list(connection["roles"]), text(connection["address"]),
                 list(connection["agentServices"]), list(connection["connectorServices"]),
                 number(connection["rttMilliseconds"]),
                 "\(text(connection["bytesReceived"]))/\(text(connection["bytesSent"]))"]
            }))
        }
        if let tunnels = object["tunnels"] as? [[String: Any]] {
            // Like `tailscale status`: DIRECT with the peer's address, or RELAYED with the reason.
            out.append(table(["service", "peer", "path", "remote / reason", "rtt ms direct/relayed", "changes", "since"],
                             tunnels.map { tunnel in
                let direct = (tunnel["path"] as? String) == "direct"
                let rtt = tunnel["rttMillis"] as? [String: Any] ?? [:]
                return [text(tunnel["service"]), text(tunnel["connector"] ?? tunnel["agent"]),
                        direct ? "DIRECT" : "RELAYED", direct ? text(tunnel["remote"]) : text(tunnel["reason"]),
                        "\(number(rtt["direct"]))/\(number(rtt["relayed"]))", text(tunnel["pathChanges"]),
                        text(tunnel["since"])]
            }))
        }
        if let forwards = object["forwards"] as? [[String: Any]] {
            out.append(table(["forward", "to"], forwards.map { forward in
                [text(forward["listen"]), "\(text(forward["service"])):\(text(forward["port"]))"]
            }))
        }
        if let services = object["services"] as? [[String: Any]], role != "relay" {
            out.append(table(["service", "bytes up", "bytes down", "tcp streams", "udp flows", "drops"], services.map { service in
                [text(service["id"]), text(service["bytesUp"]), text(service["bytesDown"]),
                 (service["tcpStreams"] as? [String: Any] ?? [:]).map { "\($0.key)=\(text($0.value))" }.sorted()
                    .joined(separator: " "),
                 "\(text(service["udpFlowsLive"])) live", (service["drops"] as? [String: Any] ?? [:])
                    .map { "\($0.key)=\(text($0.value))" }.sorted().joined(separator: " ")]
            }))
        }
        return out.joined(separator: "\n\n") + "\n"
    }

    private static func text(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: "-"
        // JSONSerialization bridges numbers (and booleans) to NSNumber; booleans are rendered by `flag`.
        case let number as NSNumber: number.stringValue
        case let value?: "\(value)"
        }
    }

    private static func number(_ value: Any?) -> String {
        guard let double = value as? Double else { return "-" }
        return String(format: "%.2f", double)
    }

    private static func list(_ value: Any?) -> String {
        let items = value as? [String] ?? []
        return items.isEmpty ? "-" : items.joined(separator: ",")
    }

    /// Left-aligned columns, two spaces apart, with a header line.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        let lines = all.map { row in
            row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return lines.isEmpty ? "" : ([lines[0]] + (rows.isEmpty ? ["(none)"] : Array(lines.dropFirst()))).joined(separator: "\n")
    }
}
