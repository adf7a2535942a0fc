public import DequeModule
public import NIOCore
import QUICCrypto
public import QUICTLS
public import QUICWire

/// All QUIC connections of one UDP socket, sans-IO (DESIGN.md §2).
///
/// Routes datagrams to connections by every connection ID they issued, accepts new connections from
/// client Initials (server role), answers with Version Negotiation, Retry and stateless resets without
/// per-connection state, and aggregates the outputs of its connections.
///
/// Call order for the shell, after every input (`handle(datagram:from:now:)`, `handleTimeout(now:)`,
/// `connect`, or a mutation through `withConnection`):
/// `pollTransmit(now:)` until nil → `pollEvent()` until nil → `pollTimeout()` to re-arm the one timer.
public struct QUICEndpoint {
    public private(set) var configuration: QUICEndpointConfiguration
    var random: QUICRandom
    /// The connections, each in its own slot (changed in place; see `ConnectionSlot`).
    var connections: [ConnectionHandle: ConnectionSlot] = [:]
    var routes: [ConnectionID: ConnectionHandle] = [:]
    /// Extra routes per connection (client-chosen Initial DCIDs), removed with the connection.
    var extraRoutes: [ConnectionHandle: [ConnectionID]] = [:]
    var nextHandle: UInt64 = 1
    /// The peer's current stateless reset token of each connection (RFC 9000 §10.3.1): a reset arrives with
    /// a random connection ID, so it is recognised by its last 16 bytes.
    var resetTokenOwners: [StatelessResetToken: ConnectionHandle] = [:]
    var resetTokenOfConnection: [ConnectionHandle: StatelessResetToken] = [:]
    /// Connections touched since they last had nothing to send, in order.
    var dirty = Deque<ConnectionHandle>()
    var dirtySet = Set<ConnectionHandle>()
    var timers = TimerHeap()
    var events = Deque<QUICEndpointEvent>()
    /// Statistics of connections forgotten in the same step that reported their `.closed` (an idle timeout or a
    /// stateless reset closes without a closing period), until the shell takes them with `takeFinalStatistics`.
    var finalStatistics: [ConnectionHandle: QUICConnectionStatistics] = [:]
    /// Stateless responses (Version Negotiation, Retry, stateless reset) waiting to be sent.
    var statelessTransmits = Deque<QUICTransmit>()
    let tokenSealer: TokenSealer
    let resetTokens: StatelessResetTokenGenerator
    var resetBudget = (second: Int64(-1), used: 0)
    /// Handshake-flood defence: rate and per-address counts of handshakes in progress.
    var admission = HandshakeAdmission()
    public internal(set) var statistics = QUICEndpointStatistics()

    /// - Parameter randomSeed: 32 bytes of entropy (from the OS in the shell; fixed bytes in tests).
    public init(configuration: QUICEndpointConfiguration, randomSeed: [UInt8]) {
        self.configuration = configuration
        var random = QUICRandom(seed: randomSeed)
        var tokenKey = random.bytes(32)
        if let configured = configuration.retryTokenKey, configured.count == 32 { tokenKey = configured }
        let resetKey = configuration.statelessResetKey ?? random.bytes(32)
        self.random = random
        // A 32-byte key always constructs a sealer.
        guard let sealer = try? TokenSealer(key: tokenKey) else { preconditionFailure("32-byte key rejected") }
        tokenSealer = sealer
        resetTokens = StatelessResetTokenGenerator(key: resetKey)
    }

    /// Replaces the settings (TLS context included) of connections accepted from now on — a certificate or CA
    /// reload. Established connections keep the TLS session they negotiated.
    public mutating func replaceServerConfiguration(_ server: QUICConfiguration) {
        configuration.server = server
    }

    /// Stops accepting new connections (a server that is shutting down): Initials of unknown connections are
    /// dropped as `notAServer` instead of starting handshakes that would be closed at once.
    public mutating func stopAccepting() {
        configuration.server = nil
    }

    // MARK: - Client

    /// Starts a client connection to `remote`. `serverName` is the TLS SNI and the name verified in the
    /// server's certificate.
    public mutating func connect(to remote: PathAddress, serverName: String?, configuration connectionConfiguration: QUICConfiguration,
                                 now: NIODeadline) throws(TLSError) -> ConnectionHandle {
        var configuration = connectionConfiguration
        configuration.connectionIDLength = self.configuration.connectionIDLength
        let localID = newConnectionID()
        // RFC 9000 §7.2: the client's first Destination Connection ID is unpredictable and at least 8 bytes.
        let originalDestination = ConnectionID(random.bytes(8)) ?? .empty
        let connection = try QUICConnection(
            clientWith: configuration, remote: remote, serverName: serverName, localConnectionID: localID,
            originalDestinationConnectionID: originalDestination, resetTokens: resetTokens,
            random: QUICRandom(seed: random.bytes(32)), now: now)
        let handle = insert(connection)
        return handle
    }

    // MARK: - Access to connections

    /// Runs `body` on a connection (open streams, write, read, send datagrams, close…). Returns nil when
    /// the handle is unknown. The connection is serviced by the next `pollTransmit`.
    public mutating func withConnection<R, E: Error>(_ handle: ConnectionHandle,
                                                     _ body: (inout QUICConnection) throws(E) -> R) throws(E) -> R? {
        guard connections.index(forKey: handle) != nil else { return nil }
        markDirty(handle)
        return try mutate(handle, body)
    }

    /// Runs `body` on a connection in place (nil: unknown handle). A slot that a copy of this endpoint shares
    /// is cloned first, so endpoints keep value semantics.
    @inline(__always)
    mutating func mutate<R, E: Error>(_ handle: ConnectionHandle,
                                      _ body: (inout QUICConnection) throws(E) -> R) throws(E) -> R? {
        guard let index = connections.index(forKey: handle) else { return nil }
        if !isKnownUniquelyReferenced(&connections.values[index]) {
            connections.values[index] = ConnectionSlot(connections.values[index].connection)
        }
        return try body(&connections.values[index].connection)
    }

    /// A copy of a connection (nil: unknown handle). Copying a connection retains every reference it holds:
    /// read single facts with `inspect` instead.
    public func connection(_ handle: ConnectionHandle) -> QUICConnection? {
        connections[handle]?.connection
    }

    /// Reads from a connection where it lives, without copying it (nil: unknown handle).
    @inline(__always)
    public func inspect<R>(_ handle: ConnectionHandle, _ body: (borrowing QUICConnection) -> R) -> R? {
        guard let slot = connections[handle] else { return nil }
        return body(slot.connection)
    }

    /// The statistics of a connection that closed and was forgotten at once (see `finalStatistics`); each is
    /// handed out once. Call it when handling the connection's `.closed` event.
    public mutating func takeFinalStatistics(_ handle: ConnectionHandle) -> QUICConnectionStatistics? {
        finalStatistics.removeValue(forKey: handle)
    }

    public var connectionCount: Int { connections.count }
    public var connectionHandles: [ConnectionHandle] { Array(connections.keys) }

    /// Forgets every connection at once, without sending anything (the socket is going away, e.g. after a
    /// shutdown's drain period). No events follow for them.
    public mutating func discardAllConnections() {
        connections.removeAll()
        finalStatistics.removeAll()
        routes.removeAll()
        extraRoutes.removeAll()
        resetTokenOwners.removeAll()
        resetTokenOfConnection.removeAll()
        dirty.removeAll()
        dirtySet.removeAll()
        timers = TimerHeap()
    }

    // MARK: - Inputs

    /// One received UDP datagram.
    public mutating func handle(datagram: [UInt8], from remote: PathAddress, now: NIODeadline) {
        let idLength = configuration.connectionIDLength
        guard let destination = PacketHeader.peekDestinationConnectionID(datagram: datagram,
                                                                          shortHeaderConnectionIDLength: idLength) else {
            statistics.drop(.unparseable)
            return
        }
        if let handle = routes[destination], connections.index(forKey: handle) != nil {
            mutate(handle) { $0.handle(datagram: datagram, from: remote, now: now) }
            markDirty(handle)
            return
        }
        if datagram.first.map({ $0 & 0x80 != 0 }) ?? false {
            handleUnroutedLongHeader(datagram, from: remote, now: now)
        } else if datagram.count >= 21, let token = StatelessResetToken(Array(datagram.suffix(16))),
                  let handle = resetTokenOwners[token], connections.index(forKey: handle) != nil {
            mutate(handle) { $0.handleStatelessReset() }
            markDirty(handle)
        } else {
            sendStatelessReset(answering: datagram, destination: destination, to: remote, now: now)
        }
    }

    /// Fires every connection timer that is due.
    public mutating func handleTimeout(now: NIODeadline) {
        for handle in timers.popExpired(now: now) where connections.index(forKey: handle) != nil {
            mutate(handle) { $0.handleTimeout(now: now) }
            markDirty(handle)
        }
    }

    // MARK: - Outputs

    /// The next datagram to send.
    public mutating func pollTransmit(now: NIODeadline) -> QUICTransmit? {
        if let transmit = statelessTransmits.popFirst() { return transmit }
        while let handle = dirty.first {
            if let transmit = mutate(handle, { $0.pollTransmit(now: now) }) ?? nil {
                return transmit
            }
            dirty.removeFirst()
            dirtySet.remove(handle)
            service(handle)
        }
        return nil
    }

    /// The next event.
    public mutating func pollEvent() -> QUICEndpointEvent? {
        if events.isEmpty {
            for handle in dirty { drainEvents(handle) }
        }
        return events.popFirst()
    }

    /// When `handleTimeout(now:)` must be called next.
    public mutating func pollTimeout() -> NIODeadline? {
        for handle in dirty { timers.set(handle, to: connections[handle]?.connection.pollTimeout()) }
        return timers.earliest()
    }

    // MARK: - Bookkeeping

    mutating func newConnectionID() -> ConnectionID {
        while true {
            if let id = ConnectionID(random.bytes(configuration.connectionIDLength)), routes[id] == nil { return id }
        }
    }

    mutating func insert(_ connection: QUICConnection) -> ConnectionHandle {
        let handle = ConnectionHandle(nextHandle)
        nextHandle += 1
        for id in connection.routedConnectionIDs { routes[id] = handle }
        connections[handle] = ConnectionSlot(connection)
        markDirty(handle)
        return handle
    }

    mutating func markDirty(_ handle: ConnectionHandle) {
        if dirtySet.insert(handle).inserted { dirty.append(handle) }
    }

    private mutating func drainEvents(_ handle: ConnectionHandle) {
        while let event = mutate(handle, { $0.pollEvent() }) ?? nil { events.append(.connection(handle, event)) }
    }

    /// Moves a connection's events, routing changes and timer into the endpoint; forgets closed connections.
    private mutating func service(_ handle: ConnectionHandle) {
        // `mutate` makes the slot ours alone; then the connection is changed in place through it.
        guard mutate(handle, { _ in }) != nil, let slot = connections[handle] else { return }
        var reportedClose = false
        while let event = slot.connection.pollEvent() {
            if case .closed = event { reportedClose = true }
            events.append(.connection(handle, event))
        }
        if !slot.connection.routingChanges.isEmpty {
            for change in slot.connection.routingChanges {
                if change.add { routes[change.id] = handle } else if routes[change.id] == handle { routes[change.id] = nil }
            }
            slot.connection.routingChanges.removeAll()
        }
        let handshakeComplete = slot.connection.handshakeComplete
        let isClosed = slot.connection.isClosed
        if admission.isInProgress(handle), handshakeComplete || isClosed {
            if !handshakeComplete {
                statistics.handshakeFailures[slot.connection.closeReason?.label ?? "unknown", default: 0] += 1
            }
            admission.finished(handle)
            statistics.handshakesInProgress = admission.handshakesInProgress
        }
        let token = isClosed ? nil : slot.connection.peerStatelessResetToken
        if resetTokenOfConnection[handle] != token {
            if let old = resetTokenOfConnection[handle], resetTokenOwners[old] == handle { resetTokenOwners[old] = nil }
            resetTokenOfConnection[handle] = token
            if let token { resetTokenOwners[token] = handle }
        }
        if isClosed {
            connections[handle] = nil
            for id in slot.connection.routedConnectionIDs where routes[id] == handle { routes[id] = nil }
            for id in extraRoutes.removeValue(forKey: handle) ?? [] where routes[id] == handle { routes[id] = nil }
            timers.set(handle, to: nil)
            if reportedClose { finalStatistics[handle] = slot.connection.statistics }
            return
        }
        timers.set(handle, to: slot.connection.pollTimeout())
    }
}
