import NIOCore
import NIOPosix
import Testing
import ZTNARuntime

@Suite("EchoBackend (ztna echo)", .timeLimit(.minutes(1)))
struct EchoBackendTests {
    @Test func udpDatagramsComeBack() async throws {
        let backend = try await EchoBackend.start(udpPort: 0, tcpPort: nil)
        let target = try #require(backend.udpAddress)
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0)
            .flatMapThrowing { channel in
                try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
            }.get()
        try await channel.executeThenClose { inbound, outbound in
            var replies = inbound.makeAsyncIterator()
            for index in 0..<10 {
                let payload = ByteBuffer(bytes: (0..<100).map { UInt8(truncatingIfNeeded: $0 &+ index) })
                try await outbound.write(AddressedEnvelope(remoteAddress: target, data: payload))
                let reply = try await replies.next()
                #expect(reply?.data == payload)
            }
        }
        await backend.close()
    }

    /// 4 MiB written in full before reading anything (the server must not lose bytes while the client does not
    /// read), then the half-close: everything comes back, followed by the server's FIN.
    @Test func tcpBytesComeBackThenFIN() async throws {
        let backend = try await EchoBackend.start(udpPort: nil, tcpPort: 0)
        let target = try #require(backend.tcpAddress)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(to: target)
            .flatMapThrowing { channel in
                // Half-closure: `outbound.finish()` sends our FIN (the echo answers it with its own).
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(isOutboundHalfClosureEnabled: true))
            }.get()
        let payload = (0..<(4 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
        let echoed = try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask {
                    var offset = 0
                    while offset < payload.count {
                        let end = min(payload.count, offset + 65536)
                        try await outbound.write(ByteBuffer(bytes: payload[offset..<end]))
                        offset = end
                    }
                    outbound.finish()
                    return nil
                }
                group.addTask {
                    var received: [UInt8] = []
                    for try await buffer in inbound { received += buffer.readableBytesView }
                    return received
                }
                var result: [UInt8] = []
                for try await part in group { if let part { result = part } }
                return result
            }
        }
        #expect(echoed.count == payload.count)
        #expect(echoed == payload)
        await backend.close()
    }
}
