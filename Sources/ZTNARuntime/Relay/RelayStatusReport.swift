import QUICCore
import NIOCore
import RelayCore
import ZTNAIdentity
import ZTNAProtocol

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// `/api/v1/status` of a relay (DESIGN.md §8): what it listens on, every client connection with its role,
/// identity, address, RTT, services and bytes, and the services with who serves and consumes them.
public struct RelayStatusReport: Sendable, Encodable {
    public let role = "relay"
    public let listen: String
    public let relayName: String
    public let startedAt: Date
    public let retry: String
    public let connections: [RelayConnectionReport]
    public let services: [RelayServiceReport]
    /// Handshakes whose certificate is still being verified.
    public let verifying: Int
    /// QUIC handshakes started and not finished (bounded per source address; Retry under load).
    public let handshakesInProgress: Int

    enum CodingKeys: String, CodingKey {
        case role, listen, relayName, startedAt, retry, connections, services, verifying, handshakesInProgress
    }
}

/// One client connection in the status report.
public struct RelayConnectionReport: Sendable, Encodable {
    public let id: UInt64
    /// Certificate node name and canonical serial (the form a revocation list takes).
    public let name: String
    public let serial: String
    public let roles: [String]
    /// The client's UDP address as the relay sees it (what OBSERVED_ADDRESS told it).
    public let address: String?
    public let agentServices: [String]
    public let connectorServices: [String]
    /// For each agent service with traffic: the id of the connector connection serving it.
    public let assignments: [String: UInt64]
    public let rttMilliseconds: Double?
    public let bytesSent: Int
    public let bytesReceived: Int
    public let datagramsSent: Int
    public let datagramsReceived: Int
    /// DATAGRAMs dropped because this client's send queue was full (it reads slower than it is sent to).
    public let datagramsDropped: Int

    init(entry: RelayConnectionStatus, serial: String, statistics: QUICConnectionStatistics, rtt: TimeAmount?) {
        id = entry.id.rawValue
        name = entry.name
        self.serial = serial
        roles = entry.roles.map(\.rawValue).sorted()
        address = entry.address.map { "\($0)" }
        agentServices = entry.agentServices.map(\.description)
        connectorServices = entry.connectorServices.map(\.description)
        var assignments: [String: UInt64] = [:]
        for (service, connector) in entry.assignments { assignments[service.description] = connector.rawValue }
        self.assignments = assignments
        rttMilliseconds = rtt.map { Double($0.nanoseconds) / 1_000_000 }
        bytesSent = statistics.bytesSent
        bytesReceived = statistics.bytesReceived
        datagramsSent = statistics.datagramsSent
        datagramsReceived = statistics.datagramsReceived
        datagramsDropped = statistics.datagramsDropped
    }
}

/// One service in the status report: the connector and agent connections registered for it.
public struct RelayServiceReport: Sendable, Encodable {
    public let id: String
    public let connectors: [UInt64]
    public let agents: [UInt64]

    /// Services derived from the connections' registrations, sorted by id.
    static func from(_ connections: [RelayConnectionReport]) -> [RelayServiceReport] {
        var connectors: [String: [UInt64]] = [:]
        var agents: [String: [UInt64]] = [:]
        for connection in connections {
            for service in connection.connectorServices { connectors[service, default: []].append(connection.id) }
            for service in connection.agentServices { agents[service, default: []].append(connection.id) }
        }
        return Set(connectors.keys).union(agents.keys).sorted().map { id in
            RelayServiceReport(id: id, connectors: connectors[id] ?? [], agents: agents[id] ?? [])
        }
    }
}
