public import NIOCore
import QUICCore
import QUICNIO

/// One-way DATAGRAMs with the on-loop API (what the relay and the agent's data plane use): the sender queues
/// from its connection's event loop, the receiver counts on its own, and each side's CPU time is that of
/// its event-loop thread — so the figures are per core, per side, with no Swift-concurrency hops.
extension QUICBench {
    public struct OnLoopResult: Sendable {
        public var sent = 0
        public var received = 0
        public var elapsed = 0.0
        /// CPU seconds of the sender's and the receiver's event-loop threads over the run.
        public var senderCPU = 0.0
        public var receiverCPU = 0.0
        /// False when both sides had to share one event loop (a one-thread group): the split is then unknown.
        public var separateLoops = true
    }

    public func datagramsOneWayOnLoop(size: Int, seconds: Double) async throws -> OnLoopResult {
        let (serverLoop, clientLoop) = Self.twoLoops(of: group)
        let counter = LoopCounter()
        let registered = serverLoop.makePromise(of: Void.self)
        let server = try await QUICServer.bind(host: "127.0.0.1", port: 0, configuration: try serverConfiguration(),
                                               group: serverLoop)
        Task {
            for await connection in server.connections {
                connection.eventLoop.execute {
                    connection.setDatagramHandlerOnLoop { _ in counter.count += 1 }
                    registered.succeed()
                }
            }
        }
        let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                      configuration: try clientConfiguration(), group: clientLoop)
        // The server counts from the moment it accepted the connection.
        try await registered.futureResult.get()
        let receivedBefore = try await serverLoop.submit { counter.count }.get()
        let cpuBefore = (try await Self.threadCPU(on: clientLoop), try await Self.threadCPU(on: serverLoop))

        let clock = BenchClock()
        let pump = OnLoopSender(connection: connection, payload: [UInt8](repeating: 0x3c, count: size),
                                loop: clientLoop, until: .now() + .nanoseconds(Int64(seconds * 1e9)))
        let sent = try await pump.run().get()
        var result = OnLoopResult()
        result.elapsed = clock.elapsedSeconds
        try? await Task.sleep(for: .milliseconds(200))   // the last datagrams arrive
        let cpuAfter = (try await Self.threadCPU(on: clientLoop), try await Self.threadCPU(on: serverLoop))
        result.sent = sent
        result.received = try await serverLoop.submit { counter.count }.get() - receivedBefore
        result.senderCPU = cpuAfter.0 - cpuBefore.0
        result.receiverCPU = cpuAfter.1 - cpuBefore.1
        result.separateLoops = clientLoop !== serverLoop
        await connection.close()
        await server.close()
        return result
    }

    /// A receiver's and a sender's event loop, different ones when the group has more than one (each side's
    /// CPU is then its own loop thread's).
    static func twoLoops(of group: any EventLoopGroup) -> (receiver: any EventLoop, sender: any EventLoop) {
        let receiver = group.next()
        var sender = group.next()
        for _ in 0..<8 where sender === receiver { sender = group.next() }
        return (receiver, sender)
    }

    /// CPU seconds the thread of `loop` has used (NaN where the system cannot tell).
    static func threadCPU(on loop: any EventLoop) async throws -> Double {
        try await loop.submit { BenchStatistics.threadCPUSeconds() ?? .nan }.get()
    }
}

/// A counter touched only on the receiver's event loop.
private final class LoopCounter: @unchecked Sendable {
    // @unchecked: read and written only on the server's event loop (handler and `submit`).
    var count = 0
}

/// Keeps the connection's DATAGRAM send queue full from its event loop until a deadline: every 100 µs it
/// queues as many datagrams as the queue has room for (never more, so nothing queued is displaced).
/// A timer, not a task loop: NIO runs queued tasks before it reads sockets, and the ACKs must be read.
private final class OnLoopSender: @unchecked Sendable {
    // @unchecked: after `run()` hops to `loop`, everything happens there.
    let connection: QUICNIOConnection
    let payload: [UInt8]
    let loop: any EventLoop
    let deadline: NIODeadline
    var sent = 0
    let done: EventLoopPromise<Int>

    init(connection: QUICNIOConnection, payload: [UInt8], loop: any EventLoop, until deadline: NIODeadline) {
        self.connection = connection
        self.payload = payload
        self.loop = loop
        self.deadline = deadline
        done = loop.makePromise()
    }

    func run() -> EventLoopFuture<Int> {
        loop.execute { self.tick() }
        return done.futureResult
    }

    private func tick() {
        for _ in 0..<connection.datagramSendQueueRoomOnLoop {
            guard case .success = connection.sendDatagramOnLoop(payload) else {
                done.succeed(sent)
                return
            }
            sent += 1
        }
        if NIODeadline.now() < deadline {
            loop.scheduleTask(in: .microseconds(100)) { self.tick() }
        } else {
            done.succeed(sent)
        }
    }
}
