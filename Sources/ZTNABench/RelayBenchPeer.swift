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
/// - Agent, load: keeps `window` SERVICE_DATAGRAMs (`0x2F`) outstanding. Each carries a sequence number
///   (8 bytes, big-endian, at the start of the payload); an echo of number `n` means every datagram up to `n`
///   has either come back or been lost (one agent's datagrams take one path, in order), so losses do not shrink
///   the window. If nothing comes back for a stall interval, everything outstanding is presumed lost.
/// - Agent, ping: one datagram at a time, timing each round trip with the monotonic clock on the loop; the
///   sequence number tells the awaited echo from a straggler of an earlier load.
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
    private var window: UInt64 = 0
    /// The sequence number of the next datagram to send, and one past the highest echoed (or presumed lost).
    private var nextSequence: UInt64 = 0
    private var settledSequence: UInt64 = 0
    /// Where the sequence number sits in a SERVICE_DATAGRAM: after `2F len id`.
    private var sequenceOffset: Int { 2 + service.bytes.count }
    private var loading = false
    private var stallTimer: Scheduled<Void>?
    private var stallInterval = TimeAmount.milliseconds(200)
    private var receivedAtLastCheck = 0

    // MARK: - Ping

    private var pingRemaining = 0
    private var pingStarted: UInt64 = 0
    private var pingSequence: UInt64 = 0
    private var pingSamples: [Double] = []
    private var pingLost = 0
    private var pingDone: EventLoopPromise<PingResult>?
    private var pingTimeout: Scheduled<Void>?

    /// Round trips in microseconds, and how many pings were presumed lost after `pingTimeoutInterval`.
    struct PingResult: Sendable {
        var samples: [Double]
        var lost: Int
    }
    private var pingTimeoutInterval = TimeAmount.seconds(1)

    init(connection: QUICNIOConnection, role: RelaySession.Role, service: ServiceID) {
        self.connection = connection
        self.role = role
        self.service = service
    }

    /// Installs the on-loop handlers. Must run on the loop before anything is sent, so no answer is missed.
    /// However the connection ends (our close, the endpoint's, the relay's), the timers stop with it.
    func install() {
        connection.setDatagramHandlerOnLoop { [self] bytes in self.receive(bytes) }
        connection.setCloseHandlerOnLoop { [self] _ in self.stop() }
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
                pingArrived(bytes)
            } else {
                echoArrived(bytes)
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

    /// Starts keeping `window` datagrams like `payload` (a SERVICE_DATAGRAM whose payload has at least
    /// `sequenceBytes` bytes, where the sequence number goes) outstanding.
    func startLoad(payload: [UInt8], window: Int, stallInterval: TimeAmount) {
        self.payload = payload
        self.window = UInt64(max(1, window))
        settledSequence = nextSequence
        loading = payload.count >= sequenceOffset + Self.sequenceBytes
        receivedAtLastCheck = dataReceived
        self.stallInterval = stallInterval
        fill()
        scheduleStallCheck()
    }

    private func scheduleStallCheck() {
        stallTimer = connection.eventLoop.assumeIsolated().scheduleTask(in: stallInterval) { self.checkStall() }
    }

    /// Stops releasing new datagrams; those in flight still arrive and are counted.
    func stopLoad() {
        loading = false
        stallTimer?.cancel()
        stallTimer = nil
    }

    private func echoArrived(_ bytes: [UInt8]) {
        // Numbers we never sent (or already settled) change nothing.
        if let sequence = sequence(in: bytes), sequence >= settledSequence, sequence < nextSequence {
            settledSequence = sequence + 1
        }
        if loading { fill() }
    }

    private func fill() {
        while nextSequence - settledSequence < window {
            guard case .success = connection.sendDatagramOnLoop(stamped(payload, nextSequence)) else { return }
            nextSequence += 1
            dataSent &+= 1
        }
    }

    // MARK: - Sequence numbers

    static let sequenceBytes = 8

    /// The sequence number of a SERVICE_DATAGRAM of ours; nil when its payload is too short to carry one.
    private func sequence(in bytes: [UInt8]) -> UInt64? {
        let offset = sequenceOffset
        guard bytes.count >= offset + Self.sequenceBytes else { return nil }
        var sequence: UInt64 = 0
        for index in offset..<(offset + Self.sequenceBytes) { sequence = sequence << 8 | UInt64(bytes[index]) }
        return sequence
    }

    /// `template` with `sequence` written into its payload (unchanged when the payload is too short).
    private func stamped(_ template: [UInt8], _ sequence: UInt64) -> [UInt8] {
        let offset = sequenceOffset
        guard template.count >= offset + Self.sequenceBytes else { return template }
        var datagram = template
        datagram.withUnsafeMutableBufferPointer { buffer in
            for index in 0..<Self.sequenceBytes {
                let shift = UInt64(8 * (Self.sequenceBytes - 1 - index))
                buffer[offset + index] = UInt8(truncatingIfNeeded: sequence >> shift)
            }
        }
        return datagram
    }

    /// No echo since the last check while datagrams are outstanding: all of them were dropped somewhere.
    private func checkStall() {
        guard loading else { return }
        if dataReceived == receivedAtLastCheck, nextSequence > settledSequence {
            stallRefills += 1
            settledSequence = nextSequence
            fill()
        }
        receivedAtLastCheck = dataReceived
        scheduleStallCheck()
    }

    // MARK: - Ping (agent)

    /// Sends `count` datagrams of `payload`, each after the previous one's echo; an echo that has not come
    /// back after `timeout` is counted lost and the next ping goes out.
    func ping(count: Int, payload: [UInt8], timeout: TimeAmount) -> EventLoopFuture<PingResult> {
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
        pingTimeoutInterval = timeout
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
        pingSequence = nextSequence
        nextSequence += 1
        let datagram = stamped(payload, pingSequence)
        pingStarted = NIODeadline.now().uptimeNanoseconds
        if case .success = connection.sendDatagramOnLoop(datagram) { dataSent &+= 1 }
        pingTimeout = connection.eventLoop.assumeIsolated().scheduleTask(in: pingTimeoutInterval) {
            self.pingLost += 1
            self.sendPing()
        }
    }

    private func pingArrived(_ bytes: [UInt8]) {
        let now = NIODeadline.now().uptimeNanoseconds
        // A straggler (an earlier load's datagram, or a ping already given up) is not this ping's echo.
        if let sequence = sequence(in: bytes), sequence != pingSequence { return }
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
