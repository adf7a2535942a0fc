public import NIOCore
internal import DequeModule

/// The client side of one relay connection (DESIGN.md §3), shared by connectors and agents: registration
/// with retries, service availability, the observed address, and tunnel packets in and out. Sans-IO.
///
/// ```
///                 connected(now:)                ACK
///  (disconnected) ───────────────▶ pending ─────────────────────▶ registered
///        ▲                          │  ▲  ╲  NACK 01 / 03              │
///        │ disconnected()           │  │   ╲──────▶ refused(01|03) ─ ACK ┘  (keeps retrying, 5 s schedule)
///        └── from any state         │  │ credentialsChanged(now:)
///                                   │ NACK 02
///                                   ▼
///                              refused(02)   (no retries)
/// ```
///
/// - Inputs: `connected(now:)`, `disconnected()`, `credentialsChanged(now:)`, `handle(_:now:)`,
///   `handleTimeout(now:)`.
/// - Outputs, in this order after every input: `pollDatagram()` until nil (send each as a QUIC DATAGRAM on
///   the relay connection), `pollEvent()` until nil, then re-arm one timer at `pollTimeout()`.
///
/// Retry schedule: a REGISTER is resent until the relay answers it — first after 500 ms, then each nominal
/// delay doubles, capped at 5 s; never gives up while connected. Every delay is jittered uniformly by
/// ±20 % (`RetryPolicy.jitterPermille`) from the seeded generator, so a relay restart does not make every
/// client retry in lock step; the jittered delay of a capped retry therefore lies in 4–6 s. After a NACK
/// `01` (malformed) or `03` (limit reached) the service keeps retrying, on the capped schedule (the next
/// attempt one jittered 5 s later: neither condition clears within milliseconds). After NACK `02` (not
/// authorized) it stops until `credentialsChanged(now:)`. A new connection starts everything afresh:
/// `disconnected()` forgets all answers, and the next `connected(now:)` registers every service again.
public struct RelaySession {
    /// Which REGISTER this client sends (`0x10` agent, `0x11` connector).
    public enum Role: Sendable, Hashable {
        case agent
        case connector
    }

    /// One service's registration on this connection.
    public enum RegistrationState: Sendable, Hashable {
        /// REGISTER sent (or to be sent), no answer yet.
        case pending
        case registered
        case refused(RegisterNackReason)
    }

    /// The retry schedule (DESIGN.md §3): defaults 500 ms doubling to 5 s, ±20 % jitter.
    public struct RetryPolicy: Sendable, Hashable {
        public var initialDelay: TimeAmount
        public var maximumDelay: TimeAmount
        /// Each delay is multiplied by a uniform factor in `1 ± jitterPermille/1000`; 0 disables jitter.
        public var jitterPermille: Int

        public init(
            initialDelay: TimeAmount = .milliseconds(500), maximumDelay: TimeAmount = .seconds(5),
            jitterPermille: Int = 200
        ) {
            self.initialDelay = initialDelay
            self.maximumDelay = maximumDelay
            self.jitterPermille = min(max(jitterPermille, 0), 1000)
        }
    }

    // MARK: - State

    struct Registration {
        let id: ServiceID
        var state: RegistrationState = .pending
        /// Agent only: the last SERVICE_STATUS, nil before the first one on this connection.
        var available: Bool?
        /// When to resend REGISTER; nil when no retry is due (answered, refused `02`, or disconnected).
        var nextAttempt: NIODeadline?
        /// The nominal delay before the attempt after the next one.
        var delay: TimeAmount = .zero
    }

    public let role: Role
    public let retryPolicy: RetryPolicy
    private var registrations: [Registration]
    /// Service id bytes → index in `registrations`, so incoming tunnel packets are matched without
    /// allocating a `ServiceID` (one hash of the id per packet).
    private let indexByID: [ArraySlice<UInt8>: Int]
    private var generator: SplitMix64
    private var outgoing: Deque<[UInt8]> = []
    private var events: Deque<RelaySessionEvent> = []

    /// Whether the relay connection is up (between `connected(now:)` and `disconnected()`).
    public private(set) var isConnected = false
    /// The last OBSERVED_ADDRESS on this connection.
    public private(set) var observedAddress: ObservedAddress?
    /// Messages dropped because they were malformed, of a type this role does not receive, or about a
    /// service this session did not register.
    public private(set) var ignoredMessages: UInt64 = 0

    /// `services` are deduplicated, keeping the first occurrence's order.
    public init(role: Role, services: [ServiceID], randomSeed: UInt64, retryPolicy: RetryPolicy = .init()) {
        self.role = role
        self.retryPolicy = retryPolicy
        var seen: [ArraySlice<UInt8>: Int] = [:]
        var registrations: [Registration] = []
        for id in services where seen[id.bytes[...]] == nil {
            seen[id.bytes[...]] = registrations.count
            registrations.append(Registration(id: id))
        }
        self.registrations = registrations
        self.indexByID = seen
        self.generator = SplitMix64(seed: randomSeed)
    }

    // MARK: - Getters

    /// The services, in the order given at creation.
    public var services: [ServiceID] { registrations.map(\.id) }

    /// The registration state of `service`; nil when this session does not register it.
    public func state(of service: ServiceID) -> RegistrationState? {
        indexByID[service.bytes[...]].map { registrations[$0].state }
    }

    /// Agent: whether a connector serves `service` (last SERVICE_STATUS); nil before any status.
    public func isAvailable(_ service: ServiceID) -> Bool? {
        indexByID[service.bytes[...]].flatMap { registrations[$0].available }
    }

    /// Whether every service is registered (readiness of a connector or agent on this relay).
    public var isFullyRegistered: Bool {
        isConnected && registrations.allSatisfy { $0.state == .registered }
    }

    // MARK: - Inputs

    /// The relay connection's handshake completed: REGISTER every service now.
    public mutating func connected(now: NIODeadline) {
        isConnected = true
        for index in registrations.indices {
            registrations[index].state = .pending
            registrations[index].available = nil
            registrations[index].delay = retryPolicy.initialDelay
            sendRegister(index, now: now)
        }
    }

    /// The relay connection is gone: forget every answer; the next `connected(now:)` registers again.
    public mutating func disconnected() {
        isConnected = false
        observedAddress = nil
        outgoing.removeAll()
        for index in registrations.indices {
            registrations[index].state = .pending
            registrations[index].available = nil
            registrations[index].nextAttempt = nil
        }
    }

    /// The client's certificate changed (reload): services refused as not authorized are tried again now.
    public mutating func credentialsChanged(now: NIODeadline) {
        for index in registrations.indices where registrations[index].state == .refused(.notAuthorized) {
            registrations[index].state = .pending
            guard isConnected else { continue }
            registrations[index].delay = retryPolicy.initialDelay
            sendRegister(index, now: now)
        }
    }

    /// Resends every REGISTER that is due.
    public mutating func handleTimeout(now: NIODeadline) {
        guard isConnected else { return }
        for index in registrations.indices {
            guard let due = registrations[index].nextAttempt, due <= now else { continue }
            sendRegister(index, now: now)
        }
    }

    /// One DATAGRAM received on the relay connection.
    public mutating func handle(_ bytes: ArraySlice<UInt8>, now: NIODeadline) {
        guard isConnected, let type = bytes.first else { return ignore() }
        // Tunnel packets first: the hot path parses only the header and matches the id without allocating.
        if type == RelayMessage.Kind.serviceDatagram.rawValue || type == RelayMessage.Kind.peerDatagram.rawValue {
            return handleTunnelPacket(bytes)
        }
        let message: RelayMessage
        do {
            message = try RelayMessage(parsing: bytes)
        } catch {
            return ignore()
        }
        switch message {
        case .observedAddress(let address):
            guard address != observedAddress else { return }
            observedAddress = address
            events.append(.observedAddress(address))
        case .registerAck(let id):
            guard let index = indexByID[id.bytes[...]] else { return ignore() }
            registrations[index].nextAttempt = nil
            guard registrations[index].state != .registered else { return }
            registrations[index].state = .registered
            events.append(.registered(id))
        case .registerNack(let reason, let idBytes):
            guard let index = indexByID[idBytes[...]] else { return ignore() }
            handleNack(reason, index: index, now: now)
        case .serviceStatus(let available, let id):
            guard role == .agent, let index = indexByID[id.bytes[...]] else { return ignore() }
            guard registrations[index].available != available else { return }
            registrations[index].available = available
            events.append(.availabilityChanged(id, available: available))
        case .registerAgent, .registerConnector, .deregister, .serviceDatagram, .peerDatagram:
            // Client → relay types (tunnel packets were handled above): never sent to a client.
            ignore()
        }
    }

    /// One DATAGRAM received on the relay connection.
    public mutating func handle(_ bytes: [UInt8], now: NIODeadline) {
        handle(bytes[...], now: now)
    }

    // MARK: - Outputs

    /// The next message to send on the relay connection as a QUIC DATAGRAM.
    public mutating func pollDatagram() -> [UInt8]? {
        outgoing.popFirst()
    }

    public mutating func pollEvent() -> RelaySessionEvent? {
        events.popFirst()
    }

    /// When `handleTimeout(now:)` must run next; nil when no retry is due.
    public func pollTimeout() -> NIODeadline? {
        guard isConnected else { return nil }
        return registrations.lazy.compactMap(\.nextAttempt).min()
    }

    // MARK: - Outgoing tunnel packets

    /// Agent: `2F len id payload` for the connector serving `service`; nil unless this is an agent session
    /// registered for `service` (the relay would drop it).
    public func serviceDatagram(for service: ServiceID, payload: ArraySlice<UInt8>) -> [UInt8]? {
        guard role == .agent, state(of: service) == .registered else { return nil }
        return RelayMessage.encodeServiceDatagram(service, payload: payload)
    }

    /// Connector: `30 peer len id payload` for agent `peer`; nil unless this is a connector session
    /// registered for `service`.
    public func peerDatagram(to peer: PeerID, for service: ServiceID, payload: ArraySlice<UInt8>) -> [UInt8]? {
        guard role == .connector, state(of: service) == .registered else { return nil }
        return RelayMessage.encodePeerDatagram(peer: peer, service, payload: payload)
    }

    // MARK: - Internals

    private mutating func handleTunnelPacket(_ bytes: ArraySlice<UInt8>) {
        guard let header = try? RelayDatagramHeader(parsing: bytes),
              let index = indexByID[bytes[header.serviceID]]
        else { return ignore() }
        let id = registrations[index].id
        switch (role, header.peer) {
        case (.agent, nil):
            events.append(.serviceDatagram(id, payload: bytes[header.payload]))
        case (.connector, let peer?):
            events.append(.peerDatagram(peer: peer, id, payload: bytes[header.payload]))
        case (.agent, .some), (.connector, nil):
            ignore()  // the relay sends agents 0x2F and connectors 0x30, never the other way round
        }
    }

    private mutating func handleNack(_ reason: RegisterNackReason, index: Int, now: NIODeadline) {
        let changed = registrations[index].state != .refused(reason)
        registrations[index].state = .refused(reason)
        switch reason {
        case .notAuthorized:
            registrations[index].nextAttempt = nil
        case .malformed, .limitReached:
            // Keep retrying, but on the capped schedule: these conditions do not clear within milliseconds.
            registrations[index].delay = retryPolicy.maximumDelay
            registrations[index].nextAttempt = now + jittered(retryPolicy.maximumDelay)
        }
        if changed { events.append(.refused(registrations[index].id, reason)) }
    }

    /// Sends REGISTER for one service and schedules the next attempt: `now + jitter(delay)`, then the delay
    /// doubles up to the cap.
    private mutating func sendRegister(_ index: Int, now: NIODeadline) {
        let id = registrations[index].id
        outgoing.append((role == .agent ? RelayMessage.registerAgent(id) : .registerConnector(id)).bytes)
        let delay = registrations[index].delay
        registrations[index].nextAttempt = now + jittered(delay)
        let doubled = delay.nanoseconds.multipliedReportingOverflow(by: 2)
        let maximum = retryPolicy.maximumDelay.nanoseconds
        registrations[index].delay = .nanoseconds(doubled.overflow ? maximum : min(doubled.partialValue, maximum))
    }

    /// `delay × (1 + u)`, u uniform in [-jitter, +jitter] in steps of 1/1000.
    private mutating func jittered(_ delay: TimeAmount) -> TimeAmount {
        let permille = retryPolicy.jitterPermille
        guard permille > 0 else { return delay }
        let offset = Int64(generator.next() % UInt64(2 * permille + 1)) - Int64(permille)
        return .nanoseconds(delay.nanoseconds / 1000 * (1000 + offset))
    }

    private mutating func ignore() {
        ignoredMessages += 1
    }
}
