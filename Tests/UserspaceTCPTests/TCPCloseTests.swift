import IPPacket
import NIOCore
import Testing
@testable import UserspaceTCP

@Suite struct TCPCloseTests {
    @Test func weCloseFirstThenTimeWait() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        _ = k.endpoint.write(id, pattern(0..<100), now: k.now)
        k.endpoint.finish(id, now: k.now)
        let out = k.sent()
        #expect(out.map(\.flags) == [[.ack, .psh], [.fin, .ack]])
        #expect(k.endpoint.state(of: id) == .finWait1)
        #expect(k.endpoint.write(id, [1], now: k.now) == 0)
        k.send(flags: .ack, ack: k.endpointISN &+ 102)
        #expect(k.endpoint.state(of: id) == .finWait2)
        // Half-close the other way: the kernel still sends.
        k.sendData(pattern(0..<10), ack: k.endpointISN &+ 102)
        #expect(k.endpoint.read(id, max: 100) == pattern(0..<10))
        k.sendData([], ack: k.endpointISN &+ 102, fin: true)
        #expect(k.endpoint.state(of: id) == .timeWait)
        #expect(k.events().contains(.finReceived(id)))
        #expect(k.sent().last?.ack == k.kernelNext)
        #expect(k.endpoint.pollTimeout() == k.now + .seconds(2))
        k.advanceToTimeout()
        #expect(k.events() == [.closed(id)])
        #expect(k.endpoint.flowCount == 0)
    }

    @Test func kernelClosesFirstThenLastAck() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        k.sendData([], fin: true)
        #expect(k.events() == [.finReceived(id)])
        _ = k.sent()
        k.endpoint.finish(id, now: k.now)
        let fin = try req(k.sent().first)
        #expect(fin.flags == [.fin, .ack])
        #expect(k.endpoint.state(of: id) == .lastAck)
        k.send(flags: .ack, ack: fin.seq &+ 1)
        #expect(k.events() == [.closed(id)])
    }

    @Test func unreadBytesSurviveAGracefulClose() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        k.sendData(pattern(0..<300), fin: true)
        _ = k.events()
        k.endpoint.finish(id, now: k.now)  // before reading what the kernel sent
        let fin = try req(k.sent().last)
        k.send(flags: .ack, ack: fin.seq &+ 1)
        #expect(k.events().isEmpty)
        #expect(k.endpoint.pollTimeout() == nil)
        #expect(k.endpoint.read(id, max: 1000) == pattern(0..<300))
        #expect(k.events() == [.closed(id)])
    }

    @Test func lostFinIsRetransmitted() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        k.endpoint.finish(id, now: k.now)
        let fin = try req(k.sent().first)
        k.advanceToTimeout()
        #expect(k.sent() == [fin])
    }

    @Test func simultaneousCloseGoesThroughClosing() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        k.endpoint.finish(id, now: k.now)
        _ = k.sent()
        k.sendData([], ack: k.endpointISN &+ 1, fin: true)  // FIN that does not ack ours
        #expect(k.endpoint.state(of: id) == .closing)
        k.send(flags: .ack, ack: k.endpointISN &+ 2)
        #expect(k.endpoint.state(of: id) == .timeWait)
    }

    @Test func kernelResetExactAndChallenged() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        k.send(flags: .rst, seq: k.kernelNext &+ 10)  // in window, not exact: RFC 5961 challenge ACK
        #expect(k.sent().map(\.flags) == [.ack])
        #expect(k.endpoint.state(of: id) == .established)
        k.send(flags: .rst, seq: k.kernelNext &+ 1_000_000)  // outside: ignored
        #expect(k.sent().isEmpty)
        k.send(flags: .rst, seq: k.kernelNext)
        #expect(k.events() == [.reset(id), .closed(id)])
        #expect(k.endpoint.counters.resetsReceived == 1)
    }

    @Test func resetWhileAwaitingAccept() {
        var k = KernelPeer()
        k.send(flags: .syn, seq: k.kernelISN)
        guard case .connectRequested(let id, _)? = k.events().first else { Issue.record("no request"); return }
        k.send(flags: .rst, seq: k.kernelISN &+ 1)
        #expect(k.events() == [.reset(id), .closed(id)])
    }

    @Test func ownerResetSendsRst() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        _ = k.endpoint.write(id, [1, 2, 3], now: k.now)
        _ = k.sent()
        k.endpoint.reset(id, now: k.now)
        let rst = try req(k.sent().first)
        #expect(rst.flags == [.rst, .ack] && rst.seq == k.endpointISN &+ 4)
        #expect(k.events() == [.closed(id)])
        #expect(k.endpoint.pollTimeout() == nil)
    }

    @Test func synInTimeWaitReopens() throws {
        var k = KernelPeer()
        let id = try req(k.handshake())
        k.endpoint.finish(id, now: k.now)
        k.send(flags: [.ack, .fin], ack: k.endpointISN &+ 2)
        k.kernelNext &+= 1
        #expect(k.endpoint.state(of: id) == .timeWait)
        _ = k.events()
        k.send(flags: .syn, seq: k.kernelNext &+ 100_000)
        let events = k.events()
        #expect(events.first == .closed(id))
        guard case .connectRequested(let newID, _)? = events.last else { Issue.record("\(events)"); return }
        #expect(newID != id)
    }
}
