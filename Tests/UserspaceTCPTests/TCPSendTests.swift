import IPPacket
import NIOCore
import Testing
@testable import UserspaceTCP

@Suite struct TCPSendTests {
    @Test func segmentsRespectMSSAndTheScaledWindow() throws {
        var k = KernelPeer()
        // Kernel window field 40 with shift 7 = 5120 bytes.
        let id = try req(k.handshake(windowScale: 7, window: 40, mss: 1000))
        #expect(k.endpoint.write(id, pattern(0..<10_000), now: k.now) == 10_000)
        let sent = k.sent()
        #expect(sent.map(\.payload.count) == [1000, 1000, 1000, 1000, 1000, 120])
        #expect(sent.first?.seq == k.endpointISN &+ 1)
        #expect(sent.flatMap(\.payload) == pattern(0..<5120))
        // ACK of everything with a fresh window releases the rest.
        k.send(flags: .ack, ack: k.endpointISN &+ 1 &+ 5120, window: 100)
        #expect(k.sent().flatMap(\.payload) == pattern(5120..<10_000))
    }

    @Test func sendBufferIsBoundedAndWritableFollows() throws {
        var k = KernelPeer(configuration: TCPConfiguration(sendBufferSize: 4000))
        let id = try req(k.handshake(window: 1))  // 128-byte window (shift 7)
        #expect(k.endpoint.write(id, pattern(0..<10_000), now: k.now) == 4000)
        #expect(k.endpoint.writableBytes(id) == 0)
        _ = k.sent()
        k.send(flags: .ack, ack: k.endpointISN &+ 1 &+ 128, window: 1)
        #expect(k.events() == [.writable(id)])
        #expect(k.endpoint.writableBytes(id) == 128)
    }

    @Test func retransmissionTimeoutWithBackoffPerRFC6298() throws {
        var k = KernelPeer()
        let id = try req(k.handshake(rtt: .milliseconds(100)))
        // One sample R = 100 ms: SRTT 100, RTTVAR 50, RTO = 100 + 4·50 = 300 ms.
        #expect(k.endpoint.retransmissionTimeout(id) == .milliseconds(300))
        _ = k.endpoint.write(id, pattern(0..<3000), now: k.now)
        let first = k.sent()
        #expect(first.count == 3)
        let sentAt = k.now
        #expect(k.endpoint.pollTimeout() == sentAt + .milliseconds(300))
        k.advanceToTimeout()
        let retransmitted = k.sent()
        #expect(retransmitted.count == 1 && retransmitted.first?.seq == first.first?.seq)
        #expect(retransmitted.first?.payload == first.first?.payload)
        #expect(k.endpoint.pollTimeout() == sentAt + .milliseconds(300 + 600))  // doubled
        // The kernel acknowledges the first segment (it had the others): partial ACK → next one at once.
        k.send(flags: .ack, ack: k.endpointISN &+ 1 &+ 1240)
        let next = k.sent()
        #expect(next.map(\.seq) == [k.endpointISN &+ 1 &+ 1240])
        #expect(k.endpoint.counters.retransmissionTimeouts == 1)
        #expect(k.endpoint.counters.segmentsRetransmitted == 2)
    }

    @Test func fastRetransmitOnTheThirdDuplicateACK() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        _ = k.endpoint.write(id, pattern(0..<6200), now: k.now)
        #expect(k.sent().count == 5)
        let una = k.endpointISN &+ 1
        k.send(flags: .ack, ack: una)  // window unchanged, no data: duplicate #1
        k.send(flags: .ack, ack: una)
        #expect(k.sent().isEmpty)
        k.send(flags: .ack, ack: una)  // #3
        let fast = k.sent()
        #expect(fast.map(\.seq) == [una] && fast.first?.payload == pattern(0..<1240))
        #expect(k.endpoint.counters.fastRetransmits == 1)
    }

    @Test func abortAfterMaxRetransmissions() throws {
        var k = KernelPeer(configuration: TCPConfiguration(maxRetransmissions: 3))
        let id = try req(k.handshake())
        _ = k.endpoint.write(id, [1, 2, 3], now: k.now)
        _ = k.sent()
        for _ in 0..<3 { k.advanceToTimeout() }
        #expect(k.sent().count == 3)
        k.advanceToTimeout()
        #expect(k.sent().map(\.flags) == [[.rst, .ack]])
        #expect(k.events() == [.reset(id), .closed(id)])
        #expect(k.endpoint.counters.flowsTimedOut == 1)
    }

    @Test func zeroWindowPersistProbesUntilTheWindowOpens() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        let una = k.endpointISN &+ 1
        k.send(flags: .ack, ack: una, window: 0)  // the kernel's buffer is full
        _ = k.endpoint.write(id, pattern(0..<500), now: k.now)
        #expect(k.sent().isEmpty)
        let rto = try req(k.endpoint.retransmissionTimeout(id))
        #expect(k.endpoint.pollTimeout() == k.now + rto)
        k.advanceToTimeout()
        let probe = try req(k.sent().first)
        #expect(probe.seq == una &- 1 && probe.payload.isEmpty)
        #expect(k.endpoint.pollTimeout() == k.now + rto + rto)  // persist backoff
        k.send(flags: .ack, ack: una, window: 0)
        k.advanceToTimeout()
        #expect(k.endpoint.counters.zeroWindowProbesSent == 2)
        _ = k.sent()
        k.send(flags: .ack, ack: una, window: 10)  // window update
        #expect(k.sent().flatMap(\.payload) == pattern(0..<500))
        #expect(k.endpoint.counters.retransmissionTimeouts == 0)
    }
}
