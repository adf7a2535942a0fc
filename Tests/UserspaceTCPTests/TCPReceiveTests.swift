import IPPacket
import NIOCore
import Testing
@testable import UserspaceTCP

@Suite struct TCPReceiveTests {
    @Test func inOrderDataDelayedAckAndEverySecondSegment() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        k.sendData(pattern(0..<1000))
        #expect(k.events() == [.readable(id)])
        #expect(k.sent().isEmpty)                                   // ACK delayed…
        #expect(k.endpoint.pollTimeout() == k.now + .milliseconds(40))  // …by exactly 40 ms
        k.sendData(pattern(1000..<2000))
        let ack = try req(k.sent().first)                    // second segment: ACK at once
        #expect(ack.ack == k.kernelNext && ack.payload.isEmpty)
        #expect(k.endpoint.read(id, max: 10_000) == pattern(0..<2000))
        #expect(k.sent().count == 1)  // reading 2000 bytes reopened the window by ≥ 1 MSS: update
        k.sendData(pattern(2000..<2100))
        #expect(k.events() == [.readable(id)])
        k.advanceToTimeout()
        let delayed = try req(k.sent().first)
        #expect(delayed.ack == k.kernelNext)
    }

    @Test func outOfOrderSegmentsAreKeptAndMerged() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        let base = k.kernelNext
        // Segment 2 and 3 arrive before segment 1.
        k.send(flags: [.ack], seq: base &+ 500, ack: k.endpointISN &+ 1, payload: pattern(500..<1000))
        var acks = k.sent()
        #expect(acks.map(\.ack) == [base])  // immediate duplicate ACK
        k.send(flags: [.ack], seq: base &+ 1000, ack: k.endpointISN &+ 1, payload: pattern(1000..<1500))
        acks = k.sent()
        #expect(acks.map(\.ack) == [base])
        #expect(k.endpoint.readableBytes(id) == 0)
        k.send(flags: [.ack], seq: base, ack: k.endpointISN &+ 1, payload: pattern(0..<500))
        acks = k.sent()
        #expect(acks.map(\.ack) == [base &+ 1500])  // the gap filled: one ACK for everything
        #expect(k.endpoint.read(id, max: 5000) == pattern(0..<1500))
        #expect(k.endpoint.counters.outOfOrderSegmentsQueued == 2)
    }

    @Test func overlappingRetransmissionIsTrimmed() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        let base = k.kernelNext
        k.send(flags: [.ack], seq: base, ack: k.endpointISN &+ 1, payload: pattern(0..<600))
        k.send(flags: [.ack], seq: base &+ 300, ack: k.endpointISN &+ 1, payload: pattern(300..<900))
        #expect(k.endpoint.read(id, max: 5000) == pattern(0..<900))
        k.send(flags: [.ack], seq: base, ack: k.endpointISN &+ 1, payload: pattern(0..<600))  // pure duplicate
        #expect(k.sent().last?.ack == base &+ 900)
        #expect(k.endpoint.readableBytes(id) == 0)
    }

    @Test func receiveCreditBoundsTheWindowAndGrowingItSendsAnUpdate() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())  // our shift is 3
        k.endpoint.setReceiveCredit(id, bytes: 0)
        // The right edge advertised in the SYN-ACK (65535) must not move left: data up to it is still taken.
        k.sendData(pattern(0..<1200))
        k.sendData(pattern(1200..<2400))
        let ack = try req(k.sent().last)
        #expect(ack.ack == k.kernelNext)
        // The old edge, rounded up to the scale unit (never down: that would shrink it).
        #expect(Int(ack.header.window) << 3 == (65535 - 2400 + 7) / 8 * 8)
        let edge = Int(ack.header.window) << 3
        // Fill exactly up to the edge; the next byte is outside the window.
        k.sendBulk(0..<edge)
        _ = k.sent()
        k.send(flags: [.ack], seq: k.kernelNext, ack: k.endpointISN &+ 1, payload: [1])
        let zero = try req(k.sent().last)
        #expect(zero.header.window == 0 && zero.ack == k.kernelNext)
        #expect(k.endpoint.counters.droppedOutOfWindow == 1)
        #expect(k.endpoint.readableBytes(id) == 2400 + edge)
        // The stream drains and grants more: one window update, without waiting for the kernel.
        _ = k.endpoint.read(id, max: 100_000)
        #expect(k.sent().isEmpty)  // reading alone does not open the window: credit is still 0
        k.endpoint.setReceiveCredit(id, bytes: 8000)
        let update = try req(k.sent().last)
        #expect(Int(update.header.window) << 3 == 8000)
        #expect(k.endpoint.counters.windowUpdatesSent == 1)
    }

    @Test func zeroWindowProbeFromTheKernelIsAnswered() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        k.endpoint.setReceiveCredit(id, bytes: 0)
        k.sendBulk(0..<65535)
        // Rounding to the scale unit may have left a few bytes of window: fill them too.
        let last = try req(k.sent().last)
        let rest = Int(last.ack &+ UInt32(last.header.window) << 3 &- k.kernelNext)
        k.sendBulk(0..<rest)
        _ = k.sent()
        // Linux's probe: sequence one below RCV.NXT, no data.
        k.send(flags: .ack, seq: k.kernelNext &- 1, ack: k.endpointISN &+ 1)
        let answer = try req(k.sent().first)
        #expect(answer.ack == k.kernelNext && answer.header.window == 0)
    }

    @Test func finFromTheKernelAfterData() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        k.sendData(pattern(0..<100), fin: true)
        #expect(k.events() == [.readable(id), .finReceived(id)])
        #expect(k.sent().first?.ack == k.kernelNext)  // FIN acknowledged at once
        #expect(k.endpoint.state(of: id) == .closeWait)
        #expect(k.endpoint.read(id, max: 1000) == pattern(0..<100))
        // Half-close: we can still send.
        #expect(k.endpoint.write(id, pattern(0..<10), now: k.now) == 10)
        #expect(k.sent().first?.payload == pattern(0..<10))
    }

    @Test func outOfOrderFinIsHeldUntilTheGapFills() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        let base = k.kernelNext
        k.send(flags: [.ack, .fin], seq: base &+ 100, ack: k.endpointISN &+ 1, payload: pattern(100..<200))
        #expect(k.events().isEmpty)
        k.send(flags: [.ack], seq: base, ack: k.endpointISN &+ 1, payload: pattern(0..<100))
        #expect(k.events() == [.readable(id), .finReceived(id)])
        #expect(k.sent().last?.ack == base &+ 201)
    }
}
