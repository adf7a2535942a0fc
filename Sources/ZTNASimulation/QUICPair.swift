public import NIOCore
public import QUICCore
public import QUICTLS
public import QUICTestFixtures

/// Two QUIC endpoints (a client and a server) over two simulated links, with a manual clock.
///
/// Deterministic: time only moves when the pair steps to the next delivery or timer, loss and reordering
/// come from seeded generators, and the endpoints are seeded too. Tests drive it step by step or until a
/// condition holds and assert exact timer deadlines and counts (STYLE.md, "Tests read like the protocol").
public struct QUICPair {
    public enum Side: Sendable, Hashable { case client, server }

    public private(set) var now: NIODeadline = .uptimeNanoseconds(1_000_000_000)
    public var client: QUICEndpoint
    public var server: QUICEndpoint
    /// client → server and server → client.
    public var toServer: SimulatedLink
    public var toClient: SimulatedLink
    public let clientAddress: PathAddress
    public let serverAddress: PathAddress
    /// The network between them: for a destination the client sends to, the source address the server
    /// sees (and the reverse). A destination with no entry is black-holed. Changing an entry simulates a NAT
    /// rebinding; `.relayed` entries simulate a relay route (DESIGN.md §1).
    public var clientRoutes: [PathAddress: PathAddress] = [:]
    public var serverRoutes: [PathAddress: PathAddress] = [:]
    /// Extra one-way delay for datagrams sent to a destination (either side): a relayed route is longer than
    /// the direct path, so packets reorder when a connection switches between them.
    public var extraLatency: [PathAddress: TimeAmount] = [:]
    public private(set) var clientHandle: ConnectionHandle?
    public private(set) var serverHandle: ConnectionHandle?
    /// Every endpoint event, in order.
    public private(set) var clientEvents: [QUICConnectionEvent] = []
    public private(set) var serverEvents: [QUICConnectionEvent] = []
    /// Datagrams delivered, by the source address the receiver saw.
    public private(set) var deliveredFrom: [PathAddress: Int] = [:]
    /// Datagrams each side sent to a destination without a route.
    public private(set) var blackHoled: [Side: Int] = [:]
    /// Sizes of the datagrams each side put on the wire.
    public private(set) var sentSizes: [Side: [Int]] = [.client: [], .server: []]
    /// Called for every datagram (with the current time) before it enters a link; return false to drop it.
    public var filter: ((Side, [UInt8], NIODeadline) -> Bool)?
    /// When set, the Destination Connection ID of every short-header packet sent (the first packet of each
    /// datagram) is recorded with its destination: what an on-path observer sees (RFC 9000 §9.5 tests).
    public var recordsShortHeaderConnectionIDs = false
    public private(set) var shortHeaderConnectionIDs: [(side: Side, destination: PathAddress, id: [UInt8])] = []
    /// When set, every datagram an endpoint puts on the wire (even one without a route) is recorded with its
    /// destination, size and time: what the anti-amplification and padding tests count.
    public var recordsDatagrams = false
    public private(set) var sentDatagrams: [(side: Side, destination: PathAddress, size: Int, at: NIODeadline)] = []
    public let certificates: TestCertificates.Files
    public var clientConfiguration: QUICConfiguration

    private var inFlight: [(at: NIODeadline, sequence: Int, to: Side, source: PathAddress, payload: [UInt8])] = []
    private var sequence = 0

    /// - Parameters:
    ///   - configureClient/configureServer: adjust the connection configurations.
    ///   - configureServerEndpoint: adjust the server endpoint (Retry policy, …).
    public init(latency: TimeAmount = .milliseconds(10), seed: UInt64 = 1,
                clientTLS: ((inout TLSConfiguration) -> Void)? = nil,
                serverTLS: ((inout TLSConfiguration) -> Void)? = nil,
                configureClient: (inout QUICConfiguration) -> Void = { _ in },
                configureServer: (inout QUICConfiguration) -> Void = { _ in },
                configureServerEndpoint: (inout QUICEndpointConfiguration) -> Void = { _ in }) throws {
        certificates = try TestCertificates.writeToTemporaryDirectory()
        var serverTLSConfiguration = TLSConfiguration(role: .server, alpn: ["ztna-test"])
        serverTLSConfiguration.certificateChainFile = certificates.serverCertificate
        serverTLSConfiguration.privateKeyFile = certificates.serverPrivateKey
        serverTLSConfiguration.trustRootsFile = certificates.caCertificate
        serverTLS?(&serverTLSConfiguration)
        var clientTLSConfiguration = TLSConfiguration(role: .client, alpn: ["ztna-test"])
        clientTLSConfiguration.trustRootsFile = certificates.caCertificate
        clientTLS?(&clientTLSConfiguration)

        var serverConfiguration = QUICConfiguration(tls: try TLSContext(configuration: serverTLSConfiguration))
        configureServer(&serverConfiguration)
        var clientConfiguration = QUICConfiguration(tls: try TLSContext(configuration: clientTLSConfiguration))
        configureClient(&clientConfiguration)
        self.clientConfiguration = clientConfiguration

        var serverEndpoint = QUICEndpointConfiguration(server: serverConfiguration)
        configureServerEndpoint(&serverEndpoint)
        var seeds = SplitMix64(seed: seed)
        func seedBytes() -> [UInt8] { (0..<4).flatMap { _ in withUnsafeBytes(of: seeds.next()) { Array($0) } } }
        server = QUICEndpoint(configuration: serverEndpoint, randomSeed: seedBytes())
        client = QUICEndpoint(configuration: QUICEndpointConfiguration(), randomSeed: seedBytes())
        toServer = SimulatedLink(latency: latency, seed: seeds.next())
        toClient = SimulatedLink(latency: latency, seed: seeds.next())
        clientAddress = .udp(try SocketAddress(ipAddress: "192.0.2.1", port: 50000))
        serverAddress = .udp(try SocketAddress(ipAddress: "192.0.2.2", port: 4433))
        clientRoutes = [serverAddress: clientAddress]
        serverRoutes = [clientAddress: serverAddress]
    }

    // MARK: - Driving

    /// Starts the client's connection (SNI "localhost") and flushes its first flight.
    public mutating func connect(serverName: String = "localhost", via destination: PathAddress? = nil) throws {
        clientHandle = try client.connect(to: destination ?? serverAddress, serverName: serverName,
                                          configuration: clientConfiguration, now: now)
        flush()
    }

    /// Moves every pending datagram of both endpoints onto the links and collects events.
    public mutating func flush() {
        var progressed = true
        while progressed {
            progressed = false
            while let transmit = client.pollTransmit(now: now) { send(transmit, from: .client); progressed = true }
            while let transmit = server.pollTransmit(now: now) { send(transmit, from: .server); progressed = true }
            while let event = client.pollEvent() { record(event, side: .client); progressed = true }
            while let event = server.pollEvent() { record(event, side: .server); progressed = true }
        }
    }

    private mutating func send(_ transmit: QUICTransmit, from side: Side) {
        let payload = transmit.payload
        sentSizes[side, default: []].append(payload.count)
        if recordsDatagrams { sentDatagrams.append((side, transmit.destination, payload.count, now)) }
        if recordsShortHeaderConnectionIDs, let first = payload.first, first & 0x80 == 0 {
            // The receiver's endpoint chose the ID's length.
            let length = (side == .client ? server : client).configuration.connectionIDLength
            if payload.count > length {
                shortHeaderConnectionIDs.append((side, transmit.destination, Array(payload[1...length])))
            }
        }
        if let filter, !filter(side, payload, now) { return }
        guard let source = side == .client ? clientRoutes[transmit.destination] : serverRoutes[transmit.destination] else {
            blackHoled[side, default: 0] += 1
            return
        }
        let to: Side = side == .client ? .server : .client
        let arrival = side == .client ? toServer.schedule(size: payload.count, now: now)
                                      : toClient.schedule(size: payload.count, now: now)
        guard let arrival else { return }
        sequence += 1
        inFlight.append((arrival + (extraLatency[transmit.destination] ?? .zero), sequence, to, source, payload))
    }

    private mutating func record(_ event: QUICEndpointEvent, side: Side) {
        switch event {
        case .accepted(let handle):
            if side == .server, serverHandle == nil { serverHandle = handle }
        case .connection(_, let connectionEvent):
            if side == .client { clientEvents.append(connectionEvent) } else { serverEvents.append(connectionEvent) }
        }
    }

    /// The next moment something happens: a delivery or a timer of either endpoint.
    public mutating func nextEventTime() -> NIODeadline? {
        let deliveries = inFlight.map(\.at).min()
        return [deliveries, client.pollTimeout(), server.pollTimeout()].compactMap { $0 }.min()
    }

    /// Advances the clock to the next event and processes it. Returns false when nothing is left to happen.
    @discardableResult
    public mutating func step() -> Bool {
        flush()
        guard let next = nextEventTime() else { return false }
        advance(to: max(next, now))
        return true
    }

    /// Processes everything due up to `deadline`, then sets the clock to it.
    public mutating func advance(to deadline: NIODeadline) {
        while true {
            flush()
            guard let next = nextEventTime(), next <= deadline else { break }
            now = max(now, next)
            deliverDue()
            client.handleTimeout(now: now)
            server.handleTimeout(now: now)
        }
        now = max(now, deadline)
        flush()
    }

    private mutating func deliverDue() {
        let due = inFlight.filter { $0.at <= now }.sorted { ($0.at, $0.sequence) < ($1.at, $1.sequence) }
        inFlight.removeAll { $0.at <= now }
        for datagram in due {
            deliveredFrom[datagram.source, default: 0] += 1
            switch datagram.to {
            case .server: server.handle(datagram: datagram.payload, from: datagram.source, now: now)
            case .client: client.handle(datagram: datagram.payload, from: datagram.source, now: now)
            }
        }
    }

    /// Steps until `condition` holds; false if it never did within the limits.
    @discardableResult
    public mutating func drive(until condition: (inout QUICPair) -> Bool, maxSteps: Int = 1_000_000,
                               maxTime: TimeAmount = .seconds(120)) -> Bool {
        let limit = now + maxTime
        for _ in 0..<maxSteps {
            if condition(&self) { return true }
            guard now <= limit, step() else { return condition(&self) }
        }
        return condition(&self)
    }

    /// Replaces the server endpoint with a fresh one of the same configuration (a restart that loses every
    /// connection); datagrams in flight to the old one arrive at the new one.
    public mutating func restartServer(seed: UInt64 = 99) {
        var seeds = SplitMix64(seed: seed)
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: seeds.next()) { Array($0) } }
        server = QUICEndpoint(configuration: server.configuration, randomSeed: bytes)
        serverHandle = nil
    }

    // MARK: - Convenience

    public var clientConnection: QUICConnection? { clientHandle.flatMap { client.connection($0) } }
    public var serverConnection: QUICConnection? { serverHandle.flatMap { server.connection($0) } }
    public var bothEstablished: Bool {
        (clientConnection?.isEstablished ?? false) && (serverConnection?.isEstablished ?? false)
    }
    public var datagramsInFlight: Int { inFlight.count }

    /// Runs `body` on the client's connection and flushes.
    @discardableResult
    public mutating func withClient<R>(_ body: (inout QUICConnection, NIODeadline) throws -> R) rethrows -> R? {
        guard let handle = clientHandle else { return nil }
        let now = self.now
        let result = try client.withConnection(handle) { connection in try body(&connection, now) }
        flush()
        return result
    }

    /// Runs `body` on the server's connection and flushes.
    @discardableResult
    public mutating func withServer<R>(_ body: (inout QUICConnection, NIODeadline) throws -> R) rethrows -> R? {
        guard let handle = serverHandle else { return nil }
        let now = self.now
        let result = try server.withConnection(handle) { connection in try body(&connection, now) }
        flush()
        return result
    }
}
