import NIOCore
import QUICCore
import QUICNIO
import ZTNAProtocol

/// A benchmark client of the relay (agent or connector): its QUIC connection and, on the connection's event
/// loop, its `RelayBenchPeer`. The async members hop to the loop once per call — never per datagram.
struct RelayBenchClient: Sendable {
    let connection: QUICNIOConnection
    private let peer: NIOLoopBound<RelayBenchPeer>

    /// Counters of one client at one instant.
    struct Counters: Sendable {
        /// Data datagrams (`0x2F` at agents, `0x30` at connectors).
        var received = 0
        var sent = 0
        var stallRefills = 0
        /// QUIC packets of the connection (every packet the relay sent to or received from this client).
        var packetsReceived = 0
        var packetsSent = 0

        static func + (lhs: Counters, rhs: Counters) -> Counters {
            Counters(received: lhs.received + rhs.received, sent: lhs.sent + rhs.sent,
                     stallRefills: lhs.stallRefills + rhs.stallRefills,
                     packetsReceived: lhs.packetsReceived + rhs.packetsReceived,
                     packetsSent: lhs.packetsSent + rhs.packetsSent)
        }
    }

    // MARK: - Connecting

    /// Completes the mTLS handshake with the relay and installs the on-loop handler (before any REGISTER is
    /// sent, so no answer can be missed).
    static func connect(
        endpoint: QUICNIOEndpoint, relay: SocketAddress, configuration: QUICConfiguration,
        role: RelaySession.Role, service: ServiceID
    ) async throws -> RelayBenchClient {
        let connection = try await endpoint.connect(to: relay, serverName: "localhost", configuration: configuration)
        let peer = try await connection.eventLoop.submit {
            let state = RelayBenchPeer(connection: connection, role: role, service: service)
            state.install()
            return NIOLoopBound(state, eventLoop: connection.eventLoop)
        }.get()
        return RelayBenchClient(connection: connection, peer: peer)
    }

    // MARK: - Operations

    /// Returns once the relay acknowledged REGISTER (resent every 500 ms meanwhile).
    func register() async throws {
        let peer = self.peer
        try await peer.eventLoop.flatSubmit { peer.value.register() }.get()
    }

    /// Agent: starts keeping `window` datagrams of `payload` outstanding.
    func startLoad(payload: [UInt8], window: Int, stallInterval: TimeAmount) async throws {
        let peer = self.peer
        try await peer.eventLoop.submit {
            peer.value.startLoad(payload: payload, window: window, stallInterval: stallInterval)
        }.get()
    }

    /// Agent: stops releasing datagrams.
    func stopLoad() async throws {
        let peer = self.peer
        try await peer.eventLoop.submit { peer.value.stopLoad() }.get()
    }

    /// Agent: `count` sequential echoes of `payload`, each presumed lost after `timeout`.
    func ping(count: Int, payload: [UInt8], timeout: TimeAmount) async throws -> RelayBenchPeer.PingResult {
        let peer = self.peer
        return try await peer.eventLoop.flatSubmit {
            peer.value.ping(count: count, payload: payload, timeout: timeout)
        }.get()
    }

    var counters: Counters {
        get async throws {
            let peer = self.peer
            return try await peer.eventLoop.submit {
                let statistics = peer.value.connection.statisticsOnLoop
                return Counters(received: peer.value.dataReceived, sent: peer.value.dataSent,
                                stallRefills: peer.value.stallRefills, packetsReceived: statistics.packetsReceived,
                                packetsSent: statistics.packetsSent)
            }.get()
        }
    }

    /// Stops the peer's timers and closes the connection (CONNECTION_CLOSE).
    func close() async {
        let peer = self.peer
        _ = try? await peer.eventLoop.submit { peer.value.stop() }.get()
        await connection.close()
    }
}

// MARK: - Sums over many clients

extension [RelayBenchClient] {
    /// The sum of every client's counters.
    var totalCounters: RelayBenchClient.Counters {
        get async throws {
            var total = RelayBenchClient.Counters()
            for client in self { total = total + (try await client.counters) }
            return total
        }
    }
}
