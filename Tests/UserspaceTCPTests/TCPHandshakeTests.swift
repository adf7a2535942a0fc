import IPPacket
import NIOCore
import Testing
@testable import UserspaceTCP

@Suite struct TCPHandshakeTests {
    @Test func synRaisesConnectRequestedAndWaitsForAccept() throws {
        var k = KernelPeer()
        k.send(flags: .syn, seq: k.kernelISN, options: TCPOptions(maximumSegmentSize: 1240, windowScale: 7))
        let events = k.events()
        guard case .connectRequested(let id, let tuple)? = events.first else { Issue.record("\(events)"); return }
        #expect(tuple == FlowTuple(clientAddress: .v4(k.client), clientPort: 40000,
                                   serviceAddress: .v4(k.service), servicePort: 8080))
        #expect(k.sent().isEmpty)  // no SYN-ACK before accept
        // The kernel retransmits its SYN while the connector decides: absorbed.
        k.send(flags: .syn, seq: k.kernelISN, options: TCPOptions(maximumSegmentSize: 1240, windowScale: 7))
        #expect(k.sent().isEmpty && k.events().isEmpty)
        #expect(k.endpoint.counters.synRetransmissionsAbsorbed == 1)
        #expect(k.endpoint.state(of: id) == .awaitingAccept)

        k.endpoint.accept(id, now: k.now)
        let synAck = try req(k.sent().first)
        #expect(synAck.flags == [.syn, .ack])
        #expect(synAck.ack == k.kernelISN &+ 1)
        #expect(synAck.header.options.maximumSegmentSize == 1240)  // MTU 1280 − 40
        #expect(synAck.header.options.windowScale == 3)            // 256 KiB buffer → shift 3
        #expect(!synAck.header.options.sackPermitted)
        #expect(k.endpoint.state(of: id) == .synReceived)

        k.now = k.now + .milliseconds(5)
        k.send(flags: .ack, seq: k.kernelNext, ack: synAck.seq &+ 1)
        #expect(k.events() == [.writable(id)])
        #expect(k.endpoint.state(of: id) == .established)
        // RTT 5 ms → RTO clamps to the 200 ms minimum (RFC 6298 §2.4).
        #expect(k.endpoint.retransmissionTimeout(id) == .milliseconds(200))
    }

    @Test func sameSeedSameISN() {
        var a = KernelPeer(seed: 7), b = KernelPeer(seed: 7), c = KernelPeer(seed: 8)
        _ = a.handshake(); _ = b.handshake(); _ = c.handshake()
        #expect(a.endpointISN == b.endpointISN)
        #expect(a.endpointISN != c.endpointISN)
    }

    @Test func noWindowScaleOptionUnlessOffered() throws {
        var k = KernelPeer()
        k.send(flags: .syn, seq: k.kernelISN, window: 5000, options: TCPOptions(maximumSegmentSize: 1000))
        guard case .connectRequested(let id, _)? = k.events().first else { Issue.record("no request"); return }
        k.endpoint.accept(id, now: k.now)
        let synAck = try req(k.sent().first)
        #expect(synAck.header.options.windowScale == nil)
        #expect(synAck.header.window == 65535)
        k.send(flags: .ack, seq: k.kernelNext, ack: synAck.seq &+ 1, window: 5000)
        _ = k.events()
        // Peer MSS 1000 bounds our segments; its unscaled 5000-byte window bounds the flight.
        #expect(k.endpoint.write(id, pattern(0..<20000), now: k.now) == 20000)
        let data = k.sent()
        #expect(data.map(\.payload.count) == [1000, 1000, 1000, 1000, 1000])
    }

    @Test func refuseSendsResetAndAcknowledgesTheSyn() throws {
        var k = KernelPeer()
        k.send(flags: .syn, seq: k.kernelISN)
        guard case .connectRequested(let id, _)? = k.events().first else { Issue.record("no request"); return }
        k.endpoint.refuse(id, now: k.now)
        let rst = try req(k.sent().first)
        #expect(rst.flags == [.rst, .ack] && rst.seq == 0 && rst.ack == k.kernelISN &+ 1)
        #expect(k.events() == [.closed(id)])
        #expect(k.endpoint.flowCount == 0)
        #expect(k.endpoint.counters.flowsRefused == 1)
    }

    @Test func acceptTimeoutResetsTheSyn() throws {
        var k = KernelPeer(configuration: TCPConfiguration(acceptTimeout: .seconds(5)))
        k.send(flags: .syn, seq: k.kernelISN)
        guard case .connectRequested(let id, _)? = k.events().first else { Issue.record("no request"); return }
        #expect(k.endpoint.pollTimeout() == k.now + .seconds(5))
        k.advanceToTimeout()
        #expect(k.sent().map(\.flags) == [[.rst, .ack]])
        #expect(k.events() == [.reset(id), .closed(id)])
    }

    @Test func lostSynAckIsRetransmittedOnRTOAndOnARetransmittedSyn() throws {
        var k = KernelPeer()
        k.send(flags: .syn, seq: k.kernelISN, options: TCPOptions(maximumSegmentSize: 1240))
        guard case .connectRequested(let id, _)? = k.events().first else { Issue.record("no request"); return }
        k.endpoint.accept(id, now: k.now)
        let first = try req(k.sent().first)
        #expect(k.endpoint.pollTimeout() == k.now + .seconds(1))  // RFC 6298 §2.1 initial RTO
        k.advanceToTimeout()
        #expect(k.sent() == [first])
        #expect(k.endpoint.pollTimeout() == k.now + .seconds(2))  // backed off
        k.send(flags: .syn, seq: k.kernelISN, options: TCPOptions(maximumSegmentSize: 1240))
        #expect(k.sent() == [first])
    }

    @Test func maxFlowsRefusesNewSyns() throws {
        var k = KernelPeer(configuration: TCPConfiguration(maxFlows: 1))
        k.send(flags: .syn, seq: k.kernelISN)
        _ = k.events()
        k.clientPort = 40001
        k.send(flags: .syn, seq: 77)
        let rst = try req(k.sent().first)
        #expect(rst.flags == [.rst, .ack] && rst.ack == 78 && rst.header.destinationPort == 40001)
        #expect(k.endpoint.counters.refusedFlowLimit == 1)
        #expect(k.events().isEmpty)
    }

    @Test func segmentsForNoFlow() throws {
        var k = KernelPeer()
        k.send(flags: .ack, seq: 5, ack: 999)
        let rst = try req(k.sent().first)
        #expect(rst.flags == .rst && rst.seq == 999)
        k.send(flags: .rst, seq: 5)
        #expect(k.sent().isEmpty)
        #expect(k.endpoint.counters.droppedNoFlow == 2)
    }

    @Test func garbageNeverTrapsAndIsCounted() {
        var k = KernelPeer()
        guard let id = k.handshake() else { Issue.record("no handshake"); return }
        var rng = SplitMix(seed: 99)
        let good = k.packet(flags: [.ack, .psh], ack: k.endpointISN &+ 1, payload: [1, 2, 3])
        for round in 0..<20_000 {
            var bytes = good
            for _ in 0..<1 + round % 3 { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            k.endpoint.handle(packet: bytes, now: k.now)
            if round % 100 == 0 { k.advance(by: .milliseconds(50)) }
            _ = k.sent(); _ = k.events()
            _ = k.endpoint.read(id, max: 100)
        }
        let c = k.endpoint.counters
        #expect(c.droppedBadChecksum + c.droppedMalformed > 10_000)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
