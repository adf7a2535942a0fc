import NIOCore
import QUICCore
import QUICNIO
import QUICTLS
import ZTNAProtocol

/// A relay client for the tests, built from our own QUIC engine: connects with mTLS and ALPN `ztna-v1`,
/// sends relay messages as DATAGRAMs and reads the relay's messages in order. Used from one task.
final class RelayTestClient {
    let endpoint: QUICNIOEndpoint
    let connection: QUICNIOConnection
    private var incoming: AsyncStream<[UInt8]>.AsyncIterator

    private init(endpoint: QUICNIOEndpoint, connection: QUICNIOConnection) {
        self.endpoint = endpoint
        self.connection = connection
        self.incoming = connection.datagrams.makeAsyncIterator()
    }

    /// Connects to the relay at `relay`; `credentials` nil connects without a client certificate.
    static func connect(to relay: SocketAddress, credentials: (certificate: String, privateKey: String)?,
                        ca: String, datagrams: Bool = true) async throws -> RelayTestClient {
        var tls = TLSConfiguration(role: .client, alpn: [ZTNAALPN.relay])
        tls.certificateChainFile = credentials?.certificate
        tls.privateKeyFile = credentials?.privateKey
        tls.trustRootsFile = ca
        var quic = QUICConfiguration(tls: try TLSContext(configuration: tls))
        if !datagrams { quic.maxDatagramFrameSize = nil }
        let endpoint = try await QUICNIOEndpoint.bind(host: "127.0.0.1", port: 0)
        do {
            let connection = try await endpoint.connect(to: relay, serverName: "localhost", configuration: quic)
            return RelayTestClient(endpoint: endpoint, connection: connection)
        } catch {
            await endpoint.close()
            throw error
        }
    }

    // MARK: - Messages

    func send(_ message: RelayMessage) async throws {
        try await connection.send(datagram: message.bytes)
    }

    /// Sends raw bytes as one DATAGRAM (malformed messages).
    func send(raw bytes: [UInt8]) async throws {
        try await connection.send(datagram: bytes)
    }

    /// The next message from the relay; throws when the connection closed first.
    func receive() async throws -> RelayMessage {
        guard let bytes = await incoming.next() else { throw RelayTestClientError.closed }
        return try RelayMessage(parsing: bytes)
    }

    /// The next message that is not OBSERVED_ADDRESS.
    func receiveSkippingAddress() async throws -> RelayMessage {
        while true {
            let message = try await receive()
            if case .observedAddress = message { continue }
            return message
        }
    }

    /// Registers `service` as `role` (agent or connector) and returns the relay's answer (ACK or NACK).
    func register(_ service: String, asConnector: Bool) async throws -> RelayMessage {
        let id = try ServiceID.require(service)
        try await send(asConnector ? .registerConnector(id) : .registerAgent(id))
        return try await receiveSkippingAddress()
    }

    /// Whether the connection has closed, and why (waits for it).
    var closed: QUICCloseReason {
        get async { await connection.closed }
    }

    func close() async {
        await connection.close()
        await endpoint.close()
    }
}

enum RelayTestClientError: Error {
    case closed
    case invalidServiceID(String)
}

extension ServiceID {
    static func require(_ text: String) throws -> ServiceID {
        guard let id = ServiceID(text) else { throw RelayTestClientError.invalidServiceID(text) }
        return id
    }
}
