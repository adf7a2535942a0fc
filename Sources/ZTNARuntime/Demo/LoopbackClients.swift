public import NIOCore
import NIOPosix

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

    /// Sends each payload as one UDP datagram to `address` and waits for its echo; returns the round-trip
    /// times in seconds (throws `LoopbackClientError.noReply` when a reply differs). Waits as long as it takes:
    /// callers bound it with `withTimeLimit`.
    public static func udpEchoRoundTrips(_ address: SocketAddress, payloads: [[UInt8]]) async throws -> [Double] {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: address.protocol == .inet6 ? "::1" : "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            var times: [Double] = []
            for payload in payloads {
                let start = ContinuousClock.now
                try await outbound.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: payload)))
                let reply = try await iterator.next().map { Array($0.data.readableBytesView) }
                guard reply == payload else { throw LoopbackClientError.noReply }
                let elapsed = ContinuousClock.now - start
                times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            return times
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
