public import NIOCore
import NIOPosix
import Synchronization

/// Plain clients of local sockets, for the demo and the end-to-end tests: what a user's program does with a
/// port-forward.
public enum LoopbackClients {
    /// Connects to `address`, sends `request`, half-closes, and returns everything received until the
    /// server closes (at most `limit` bytes).
    public static func tcpExchange(_ address: SocketAddress, send request: [UInt8], limit: Int = 64 << 20) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(to: address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Outbound half-closure: `finish()` sends our FIN while we keep reading the reply.
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    var offset = 0
                    while offset < request.count {
                        let end = min(offset + 65_536, request.count)
                        try await outbound.write(ByteBuffer(bytes: request[offset..<end]))
                        offset = end
                    }
                    outbound.finish()
                    return nil
                }
                group.addTask {
                    var received: [UInt8] = []
                    for try await buffer in inbound {
                        received.append(contentsOf: buffer.readableBytesView)
                        if received.count > limit { break }
                    }
                    return received
                }
                var result: [UInt8] = []
                for try await value in group { if let value { result = value } }
                return result
            }
        }
    }

    /// Sends each payload as one UDP datagram to `address` and waits for its echo; a datagram lost on the way
    /// (UDP is unreliable, and a tunnel whose path is changing may lose a few) is sent again after 500 ms, up to
    /// 5 times. Returns the round-trip times in seconds of the attempts that were answered; throws
    /// `LoopbackClientError.noReply` when a payload got no correct echo at all.
    public static func udpEchoRoundTrips(_ address: SocketAddress, payloads: [[UInt8]]) async throws -> [Double] {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: address.protocol == .inet6 ? "::1" : "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let mailbox = ReplyMailbox()
            return try await withThrowingTaskGroup(of: [Double]?.self) { group in
                group.addTask {
                    for try await envelope in inbound { mailbox.deliver(Array(envelope.data.readableBytesView)) }
                    return nil
                }
                var times: [Double] = []
                for payload in payloads {
                    var answered = false
                    for _ in 0..<5 where !answered {
                        let start = ContinuousClock.now
                        try await outbound.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: payload)))
                        let deadline = start + .milliseconds(500)
                        while let reply = await mailbox.next(until: deadline) {
                            guard reply == payload else { continue }   // a late echo of an earlier attempt
                            let elapsed = ContinuousClock.now - start
                            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                            answered = true
                            break
                        }
                    }
                    guard answered else {
                        group.cancelAll()
                        throw LoopbackClientError.noReply
                    }
                }
                group.cancelAll()
                return times
            }
        }
    }
}

/// Replies received by a reader task, handed to one waiting consumer with a deadline.
private final class ReplyMailbox: Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var waiter: (id: UInt64, continuation: CheckedContinuation<[UInt8]?, Never>)?
        var nextID: UInt64 = 0
    }
    private let state = Mutex(State())

    func deliver(_ bytes: [UInt8]) {
        let waiter: CheckedContinuation<[UInt8]?, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter.continuation
            }
            if state.queue.count < 256 { state.queue.append(bytes) }
            return nil
        }
        waiter?.resume(returning: bytes)
    }

    /// The next reply, or nil at `deadline`.
    func next(until deadline: ContinuousClock.Instant) async -> [UInt8]? {
        let id: UInt64 = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task {
            try? await Task.sleep(until: deadline)
            let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
                guard let waiter = state.waiter, waiter.id == id else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let ready: [UInt8]?? = state.withLock { state in
                if !state.queue.isEmpty { return .some(state.queue.removeFirst()) }
                if ContinuousClock.now >= deadline { return .some(nil) }
                state.waiter = (id, continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

public enum LoopbackClientError: Error {
    case noReply
}

/// Runs `body`, throwing `TimeLimitExceeded` if it has not finished after `limit` (the body is cancelled).
public func withTimeLimit<T: Sendable>(_ limit: Duration, _ what: String,
                                       _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimeLimitExceeded(what: what, limit: limit) }
        return value
    }
}

public struct TimeLimitExceeded: Error, CustomStringConvertible {
    public let what: String
    public let limit: Duration
    public var description: String { "\(what) did not finish within \(limit)" }
}
