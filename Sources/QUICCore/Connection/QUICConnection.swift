public import NIOCore
public import QUICTLS
public import QUICWire
import QUICCrypto
public import DequeModule

/// One QUIC connection (RFC 9000), sans-IO.
///
/// Like quinn-proto's `Connection`, it has four kinds of methods:
/// - getters (`state`, `isEstablished`, `maxDatagramPayload`, …);
/// - `handle…` inputs: `handle(packetsIn:from:now:)` is called by the endpoint with each datagram routed
///   to this connection, `handleTimeout(now:)` when `pollTimeout()` passes;
/// - mutators for the application: `openStream`, `write`, `read`, `sendDatagram`, `close`, …;
/// - `poll…` outputs, drained after every input or mutation, in this order:
///   `pollTransmit(now:)` until nil, then `pollEvent()` until nil, then `pollTimeout()` to re-arm the timer.
///
/// Time (`now`) and randomness are inputs; nothing here touches a socket or a clock.
public struct QUICConnection {
    // MARK: - Identity and configuration
    public let role: EndpointRole
    let configuration: QUICConfiguration
    var random: QUICRandom
    var tls: TLSSession

    // MARK: - Lifecycle
    enum State: Sendable, Equatable {
        case handshaking
        case established
        /// We sent CONNECTION_CLOSE and answer further packets with it until the deadline (RFC 9000 §10.2.1).
        case closing(until: NIODeadline)
        /// The peer closed; we stay silent until the deadline (RFC 9000 §10.2.2).
        case draining(until: NIODeadline)
        case closed
    }
    var state: State = .handshaking
    var handshakeComplete = false
    /// RFC 9001 §4.1.2: client — HANDSHAKE_DONE received; server — handshake complete.
    var handshakeConfirmed = false
    var closeReason: QUICCloseReason?
    /// The CONNECTION_CLOSE frame we send while closing.
    var closeFrame: ConnectionCloseFrame?
    var closeFramePending = false

    // MARK: - Connection IDs (RFC 9000 §5.1)
    /// The Destination Connection ID of the client's first Initial (RFC 9000 §7.3).
    let originalDestinationConnectionID: ConnectionID
    /// The Source Connection ID of a Retry we accepted (client) or sent (server).
    var retrySourceConnectionID: ConnectionID?
    /// Connection IDs we issued, by sequence number; the endpoint routes all of them here.
    var localConnectionIDs: [UInt64: ConnectionID]
    /// The connection ID we put in packets we send (the peer's), and its sequence number.
    var peerConnectionID: ConnectionID
    var peerConnectionIDSequence: UInt64 = 0
    /// Further connection IDs the peer issued (NEW_CONNECTION_ID), by sequence number.
    var peerConnectionIDs: [UInt64: (id: ConnectionID, token: StatelessResetToken)] = [:]
    var peerStatelessResetToken: StatelessResetToken?
    var pendingRetireConnectionIDs: [UInt64] = []
    /// The largest retire_prior_to the peer sent (RFC 9000 §19.15).
    var peerRetirePriorTo: UInt64 = 0
    /// Client: whether the server's first Initial already set `peerConnectionID` (RFC 9000 §7.2).
    var peerConnectionIDConfirmed = false
    /// The Source Connection ID of the peer's first Initial, checked against its transport parameters (§7.3).
    var peerInitialSourceConnectionID: ConnectionID?
    /// Connection IDs we issue beyond the first, with their reset tokens (RFC 9000 §5.1.1).
    let resetTokens: StatelessResetTokenGenerator
    var nextLocalConnectionIDSequence: UInt64 = 1
    var pendingNewConnectionIDs: [UInt64] = []
    /// Changes the endpoint must apply to its routing table.
    var routingChanges: [(add: Bool, id: ConnectionID)] = []
    /// Rotation schedule, our retire_prior_to, peer IDs we retired (QUICConnection+ConnectionIDs.swift).
    var connectionIDState = ConnectionIDState()
    /// RFC 9002 §6.2.2.1: a client knows the server validated its address (Handshake ACK or confirmation).
    var peerCompletedAddressValidation = false
    /// Client: the token from a Retry packet, echoed in every later Initial (RFC 9000 §8.1.2).
    var retryToken: [UInt8] = []

    // MARK: - Paths (RFC 9000 §8.2, §9)
    /// The active path: where everything but probes goes.
    var path: PathState
    /// Paths being probed (candidates for migration, NAT traversal), by remote address.
    var candidatePaths: [PathAddress: PathState] = [:]
    /// The path we left when the peer moved, kept as a fallback until the new one validates (RFC 9000 §9.3.2).
    var fallbackPath: PathState?
    /// Largest UDP payloads the application set for paths not yet in use.
    var pathPayloadLimits: [PathAddress: Int] = [:]

    // MARK: - Packet-number spaces, recovery
    var spaces = PacketSpaces()
    var recovery: LossRecovery
    var lossTimer: (deadline: NIODeadline, kind: LossRecovery.TimerKind)?

    // MARK: - 1-RTT key phases (RFC 9001 §6)
    var keyPhases = KeyPhaseState()

    // MARK: - Transport parameters
    let localTransportParameters: TransportParameters
    var peerTransportParameters: TransportParameters?

    // MARK: - Streams and flow control
    var streams: StreamManager

    // MARK: - DATAGRAM (RFC 9221)
    var datagramSendQueue = Deque<[UInt8]>()
    var datagramsDroppedOnSend = 0
    var datagramsDroppedOnReceive = 0
    var pendingDatagramEvents = 0

    // MARK: - NAT traversal and address discovery (draft-seemann-quic-nat-traversal-02, draft-ietf-quic-address-discovery)
    var natTraversal = NATTraversalFrameState()

    // MARK: - Control frames waiting to be sent
    var pendingHandshakeDone = false
    var pingPending = false

    // MARK: - Timers
    var idleDeadline: NIODeadline?
    var lastActivity: NIODeadline
    var lastSendTime: NIODeadline
    var ackElicitingSentSinceReceive = false
    var pacingDeadline: NIODeadline?
    let createdAt: NIODeadline

    // MARK: - Outputs
    var events = Deque<QUICConnectionEvent>()
    var lastReportedMaxDatagramPayload: Int??

    // MARK: - Statistics
    public internal(set) var statistics = QUICConnectionStatistics()

    // MARK: - Initialisers

    /// State common to both roles; the role initialisers below add what differs.
    private init(role: EndpointRole, configuration: QUICConfiguration, remote: PathAddress, addressValidated: Bool,
                 localConnectionID: ConnectionID, peerConnectionID: ConnectionID,
                 originalDestinationConnectionID: ConnectionID, parameters: TransportParameters, serverName: String?,
                 resetTokens: StatelessResetTokenGenerator, random: QUICRandom, now: NIODeadline) throws(TLSError) {
        self.role = role
        self.configuration = configuration
        self.random = random
        self.resetTokens = resetTokens
        self.originalDestinationConnectionID = originalDestinationConnectionID
        localConnectionIDs = [0: localConnectionID]
        self.peerConnectionID = peerConnectionID
        path = PathState(remote: remote, isValidated: addressValidated, maxUDPPayload: configuration.maxUDPPayloadSize)
        recovery = LossRecovery(initialRTT: configuration.initialRTT, algorithm: configuration.congestionControl,
                                maxDatagramSize: configuration.maxUDPPayloadSize)
        var parameters = parameters
        parameters.initialSourceConnectionID = localConnectionID
        localTransportParameters = parameters
        streams = StreamManager(role: role, configuration: configuration)
        tls = try TLSSession(context: configuration.tls, serverName: serverName, transportParameters: parameters.encode())
        lastActivity = now
        lastSendTime = now
        createdAt = now
    }

    /// A client connection. The endpoint assigns `localConnectionID` and routes it.
    init(clientWith configuration: QUICConfiguration, remote: PathAddress, serverName: String?,
         localConnectionID: ConnectionID, originalDestinationConnectionID: ConnectionID,
         resetTokens: StatelessResetTokenGenerator, random: QUICRandom, now: NIODeadline) throws(TLSError) {
        try self.init(role: .client, configuration: configuration, remote: remote, addressValidated: true,
                      localConnectionID: localConnectionID, peerConnectionID: originalDestinationConnectionID,
                      originalDestinationConnectionID: originalDestinationConnectionID,
                      parameters: Self.transportParameters(from: configuration, role: .client), serverName: serverName,
                      resetTokens: resetTokens, random: random, now: now)
        installInitialKeys(destinationConnectionID: originalDestinationConnectionID)
        try tls.start()
        do {
            try drainTLSOutputs(now: now)
        } catch {
            throw TLSError(alert: nil, message: error.reason)
        }
        armIdleTimer(now: now)
    }

    /// A server connection for a client's first Initial.
    init(serverWith configuration: QUICConfiguration, remote: PathAddress,
         originalDestinationConnectionID: ConnectionID, clientConnectionID: ConnectionID,
         localConnectionID: ConnectionID, retrySourceConnectionID: ConnectionID?,
         resetTokens: StatelessResetTokenGenerator, addressValidated: Bool,
         random: QUICRandom, now: NIODeadline) throws(TLSError) {
        var parameters = Self.transportParameters(from: configuration, role: .server)
        parameters.originalDestinationConnectionID = originalDestinationConnectionID
        parameters.retrySourceConnectionID = retrySourceConnectionID
        parameters.statelessResetToken = StatelessResetToken(resetTokens.token(for: localConnectionID.bytes))
        try self.init(role: .server, configuration: configuration, remote: remote, addressValidated: addressValidated,
                      localConnectionID: localConnectionID, peerConnectionID: clientConnectionID,
                      originalDestinationConnectionID: originalDestinationConnectionID, parameters: parameters,
                      serverName: nil, resetTokens: resetTokens, random: random, now: now)
        self.retrySourceConnectionID = retrySourceConnectionID
        peerInitialSourceConnectionID = clientConnectionID
        peerConnectionIDConfirmed = true
        // RFC 9001 §5.2: Initial keys come from the Destination Connection ID of the client's Initial — after a
        // Retry that is the Retry's Source Connection ID, not the original one.
        installInitialKeys(destinationConnectionID: retrySourceConnectionID ?? originalDestinationConnectionID)
        armIdleTimer(now: now)
    }

    static func transportParameters(from configuration: QUICConfiguration, role: EndpointRole) -> TransportParameters {
        var parameters = TransportParameters()
        parameters.maxIdleTimeout = UInt64(max(0, configuration.maxIdleTimeout.nanoseconds / 1_000_000))
        parameters.maxUDPPayloadSize = configuration.advertisedMaxUDPPayloadSize
        parameters.initialMaxData = configuration.initialMaxData
        parameters.initialMaxStreamDataBidiLocal = configuration.initialMaxStreamData
        parameters.initialMaxStreamDataBidiRemote = configuration.initialMaxStreamData
        parameters.initialMaxStreamDataUni = configuration.initialMaxStreamData
        parameters.initialMaxStreamsBidi = configuration.initialMaxStreamsBidi
        parameters.initialMaxStreamsUni = configuration.initialMaxStreamsUni
        parameters.ackDelayExponent = configuration.ackDelayExponent
        parameters.maxAckDelay = UInt64(configuration.maxAckDelay.nanoseconds / 1_000_000)
        parameters.disableActiveMigration = configuration.disableActiveMigration
        parameters.activeConnectionIDLimit = configuration.activeConnectionIDLimit
        parameters.maxDatagramFrameSize = configuration.maxDatagramFrameSize
        if configuration.offersNATTraversal {
            parameters.natTraversal = role == .client
                ? .client : .server(concurrencyLimit: max(1, configuration.natTraversalConcurrencyLimit))
        }
        parameters.addressDiscovery = configuration.addressDiscovery
        return parameters
    }

    /// RFC 9001 §5.2: Initial keys from the Destination Connection ID of the client's Initial packets.
    mutating func installInitialKeys(destinationConnectionID: ConnectionID) {
        let secrets = InitialSecrets.derive(destinationConnectionID: destinationConnectionID.bytes)
        let (mine, theirs) = role == .client ? (secrets.client, secrets.server) : (secrets.server, secrets.client)
        // Initial secrets always have the SHA-256 length; derivation cannot fail.
        spaces[.initial].sealer = (try? PacketProtectionKeys(secret: mine, suite: .aes128GCMSHA256)).map(PacketProtector.init)
        spaces[.initial].opener = (try? PacketProtectionKeys(secret: theirs, suite: .aes128GCMSHA256)).map(PacketProtector.init)
    }

    // MARK: - Getters

    /// Whether the handshake completed and the connection is usable.
    public var isEstablished: Bool { state == .established }
    /// RFC 9001 §4.1.2: the handshake is confirmed (client: HANDSHAKE_DONE received; server: complete).
    /// Paths can be probed and keys updated only from here on.
    public var isHandshakeConfirmed: Bool { handshakeConfirmed }
    /// Whether the connection is gone (no more I/O; the endpoint forgets it).
    public var isClosed: Bool { state == .closed }
    /// Why it closed, once closing started.
    public var closedReason: QUICCloseReason? { closeReason }
    /// The current path's remote address.
    public var remoteAddress: PathAddress { path.remote }
    /// The smoothed RTT estimate (RFC 9002 §5.3).
    public var smoothedRTT: TimeAmount { recovery.rtt.smoothedRTT }
    public var congestionWindow: Int { recovery.congestion.congestionWindow }
    public var bytesInFlight: Int { recovery.bytesInFlight }
    /// The ALPN protocol both sides agreed on.
    public var negotiatedALPN: String? { tls.negotiatedALPN }
    /// The server name the client asked for (server side).
    public var requestedServerName: String? { tls.requestedServerName }
    /// The peer's certificate chain (DER, leaf first), for authorization decisions.
    public var peerCertificateChain: [[UInt8]] { tls.peerCertificateChainDER }
    public var negotiatedCipherSuite: UInt16? { tls.negotiatedCipherSuite }
    public var negotiatedGroup: String? { tls.negotiatedGroupName }
    /// Connection IDs the endpoint must route to this connection.
    var routedConnectionIDs: [ConnectionID] { Array(localConnectionIDs.values) }

    // MARK: - Outputs

    /// The next event for the application, if any.
    public mutating func pollEvent() -> QUICConnectionEvent? {
        while let event = streams.events.popFirst() { events.append(event) }
        if let event = events.popFirst() {
            if case .datagram = event { pendingDatagramEvents -= 1 }
            return event
        }
        return nil
    }

    /// The earliest time `handleTimeout(now:)` must be called (nil: no timer armed).
    public func pollTimeout() -> NIODeadline? {
        var deadlines: [NIODeadline] = []
        switch state {
        case .closed: return nil
        case .closing(let until), .draining(let until): return until
        case .handshaking, .established: break
        }
        if let idle = idleDeadline { deadlines.append(idle) }
        if let loss = lossTimer?.deadline { deadlines.append(loss) }
        if let pacing = pacingDeadline { deadlines.append(pacing) }
        for space in PacketNumberSpace.allCases {
            if let ack = spaces[space].received.ackDeadline, !spaces[space].isDiscarded { deadlines.append(ack) }
        }
        if let keepAlive = keepAliveDeadline { deadlines.append(keepAlive) }
        if let expiry = keyPhases.previousOpenerExpiry { deadlines.append(expiry) }
        if let validation = pathValidationDeadline { deadlines.append(validation) }
        if let rotation = connectionIDRotationDeadline { deadlines.append(rotation) }
        return deadlines.min()
    }

    mutating func emit(_ event: QUICConnectionEvent) {
        events.append(event)
    }
}

/// Counters of one connection, for status pages and metrics.
public struct QUICConnectionStatistics: Sendable, Hashable {
    public var packetsSent = 0
    public var packetsReceived = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var packetsLost = 0
    public var packetsDropped = 0
    public var datagramsSent = 0
    public var datagramsReceived = 0
    public var datagramsDropped = 0
    /// NAT traversal frames from the peer beyond what the connection remembers of it (a bound against a peer
    /// growing our state, `NATTraversalFrameState.peerEntryLimit`): ignored.
    public var natTraversalFramesIgnored = 0
    public init() {}
}
