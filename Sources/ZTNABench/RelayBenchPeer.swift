import NIOCore
import QUICCore
import QUICNIO
import ZTNAProtocol

/// The loop-side state of one benchmark client of the relay (an agent or a connector, DESIGN.md §3).
///
/// It runs entirely on its connection's event loop through the on-loop DATAGRAM fast path
/// (`setDatagramHandlerOnLoop` / `sendDatagramOnLoop`): the load generator must not spend a task hop per
/// datagram, or it would measure Swift concurrency instead of the relay.
///
/// - Registration: REGISTER (`0x10`/`0x11`) is resent every `registerRetry` until REGISTER_ACK (`0x12`).
/// - Connector: every PEER_DATAGRAM (`0x30 peer len id payload`) is sent back unchanged — the reply to an
///   agent has exactly the same layout, so the echo costs no parsing and no copy.
/// - Agent, load: keeps `window` SERVICE_DATAGRAMs (`0x2F`) outstanding; each echo that comes back releases
///   the next. A window that made no progress for a stall interval is presumed lost and refilled (datagrams
///   are unreliable; the relay drops rather than queues).
/// - Agent, ping: one datagram at a time, timing each round trip with the monotonic clock on the loop.
///
/// Loop-confined: created, used and released on `connection.eventLoop` (reached through `NIOLoopBound`).
final class RelayBenchPeer {
    let connection: QUICNIOConnection
    let role: RelaySession.Role
    let service: ServiceID

    // MARK: - Counters (read by the benchmark between phases)

    /// Data datagrams received: `0x2F` echoes at an agent, `0x30` at a connector.
    private(set) var dataReceived = 0
    /// Data datagrams handed to QUIC.
    private(set) var dataSent = 0
    /// Windows an agent presumed lost and refilled.
    private(set) var stallRefills = 0

    // MARK: - Registration

    private var registered = false
    private var registration: EventLoopPromise<Void>?
    private var registerRetry: Scheduled<Void>?
    private static let registerRetryInterval = TimeAmount.milliseconds(500)

    // MARK: - Load generation

    private var payload: [UInt8] = []
    private var window = 0
    private var inFlight = 0
    private var loading = false
    private var stallTimer: RepeatedTask?
    private var receivedAtLastCheck = 0

    // MARK: - Ping

    private var pingRemaining = 0
    private var pingStarted: UInt64 = 0
    private var pingSamples: [Double] = []
    private var pingLost = 0
    private var pingDone: EventLoopPromise<PingResult>?
    private var pingTimeout: Scheduled<Void>?

    /// Round trips in microseconds, and how many pings were presumed lost after `pingTimeoutInterval`.
    struct PingResult: Sendable {
        var samples: [Double]
        var lost: Int
    }
    private static let pingTimeoutInterval = TimeAmount.seconds(1)

    init(connection: QUICNIOConnection, role: RelaySession.Role, service: ServiceID) {
        self.connection = connection
        self.role = role
        self.service = service
    }

    /// Installs the on-loop handler. Must run on the loop before anything is sent, so no answer is missed.
    func install() {
        connection.setDatagramHandlerOnLoop { [self] bytes in self.receive(bytes) }
    }

    // MARK: - Receiving

    private func receive(_ bytes: [UInt8]) {
        switch bytes.first {
        case RelayMessage.Kind.peerDatagram.rawValue where role == .connector:
            dataReceived &+= 1
            if case .success = connection.sendDatagramOnLoop(bytes) { dataSent &+= 1 }
        case RelayMessage.Kind.serviceDatagram.rawValue where role == .agent:
            dataReceived &+= 1
            if pingDone != nil {
                pingArrived()
            } else {
                echoArrived()
            }
        default:
            control(bytes)
        }
    }

    /// Control messages: only the answer to our REGISTER matters here; OBSERVED_ADDRESS and SERVICE_STATUS
    /// are ignored (the bench knows its topology).
    private func control(_ bytes: [UInt8]) {
        guard let message = try? RelayMessage(parsing: bytes) else { return }
        switch message {
        case .registerAck(let id) where id == service:
            registered = true
            registerRetry?.cancel()
            registerRetry = nil
            registration?.succeed(())
            registration = nil
        case .registerNack(let reason, let id) where id == service.bytes:
            registerRetry?.cancel()
            registerRetry = nil
            registration?.fail(RelayBenchError("relay refused REGISTER \(service): \(reason)"))
            registration = nil
        default:
            break
        }
    }

    // MARK: - Registration

    /// Sends REGISTER until the relay answers; the future succeeds on REGISTER_ACK.
    func register() -> EventLoopFuture<Void> {
        let loop = connection.eventLoop
        if registered { return loop.makeSucceededVoidFuture() }
        if let registration { return registration.futureResult }
        let promise = loop.makePromise(of: Void.self)
        registration = promise
        sendRegister()
        return promise.futureResult
    }

    private func sendRegister() {
        let message: RelayMessage = role == .agent ? .registerAgent(service) : .registerConnector(service)
        _ = connection.sendDatagramOnLoop(message.bytes)
        registerRetry = connection.eventLoop.assumeIsolated().scheduleTask(in: Self.registerRetryInterval) {
            self.sendRegister()
        }
    }

    // MARK: - Load (agent)

    /// Starts keeping `window` datagrams of `payload` outstanding.
    func startLoad(payload: [UInt8], window: Int, stallInterval: TimeAmount) {
        self.payload = payload
        self.window = max(1, window)
        inFlight = 0
        loading = true
        receivedAtLastCheck = dataReceived
        fill()
        stallTimer = connection.eventLoop.assumeIsolated().scheduleRepeatedTask(
            initialDelay: stallInterval, delay: stallInterval
        ) { _ in self.checkStall() }
    }

    /// Stops releasing new datagrams; those in flight still arrive and are counted.
    func stopLoad() {
        loading = false
        stallTimer?.cancel()
        stallTimer = nil
    }

    private func echoArrived() {
        if inFlight > 0 { inFlight -= 1 }
        if loading { fill() }
    }

    private func fill() {
        while inFlight < window {
            guard case .success = connection.sendDatagramOnLoop(payload) else { return }
            inFlight += 1
            dataSent &+= 1
        }
    }

    /// No echo since the last check while datagrams are outstanding: they were dropped somewhere.
    private func checkStall() {
        guard loading else { return }
        if dataReceived == receivedAtLastCheck, inFlight > 0 {
            stallRefills += 1
            inFlight = 0
            fill()
        }
        receivedAtLastCheck = dataReceived
    }

    // MARK: - Ping (agent)

    /// Sends `count` datagrams of `payload`, each after the previous one's echo.
    func ping(count: Int, payload: [UInt8]) -> EventLoopFuture<PingResult> {
        let promise = connection.eventLoop.makePromise(of: PingResult.self)
        guard count > 0, pingDone == nil else {
            promise.succeed(PingResult(samples: [], lost: 0))
            return promise.futureResult
        }
        self.payload = payload
        pingRemaining = count
        pingSamples = []
        pingSamples.reserveCapacity(count)
        pingLost = 0
        pingDone = promise
        sendPing()
        return promise.futureResult
    }

    private func sendPing() {
        guard pingRemaining > 0 else {
            let result = PingResult(samples: pingSamples, lost: pingLost)
            pingDone?.succeed(result)
            pingDone = nil
            return
        }
        pingRemaining -= 1
        pingStarted = NIODeadline.now().uptimeNanoseconds
        if case .success = connection.sendDatagramOnLoop(payload) { dataSent &+= 1 }
        pingTimeout = connection.eventLoop.assumeIsolated().scheduleTask(in: Self.pingTimeoutInterval) {
            self.pingLost += 1
            self.sendPing()
        }
    }

    private func pingArrived() {
        let now = NIODeadline.now().uptimeNanoseconds
        pingTimeout?.cancel()
        pingTimeout = nil
        pingSamples.append(Double(now &- pingStarted) / 1_000)
        sendPing()
    }

    // MARK: - Teardown

    /// Cancels timers and fails a pending registration (the connection is about to close).
    func stop() {
        stopLoad()
        registerRetry?.cancel()
        registerRetry = nil
        pingTimeout?.cancel()
        pingTimeout = nil
        registration?.fail(RelayBenchError("client stopped before the relay acknowledged REGISTER"))
        registration = nil
        pingDone?.succeed(PingResult(samples: pingSamples, lost: pingLost + pingRemaining))
        pingDone = nil
    }
}
