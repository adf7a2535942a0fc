#if os(Linux)
import Glibc
import IPPacket
import NIOCore
import Testing
import UserspaceTCP
#if canImport(ZTNARuntimeTUN)
@testable import ZTNARuntimeTUN
#else
@testable import ZTNARuntime
#endif

/// TCPEndpoint against Linux's TCP through a real TUN device in a fresh network namespace
/// (DESIGN.md §11.6). Serialized: each test owns a namespace and drives a real peer for seconds.
@Suite(.serialized, .enabled(if: runningAsRoot, "needs root: creates TUN devices and network namespaces"))
final class KernelTCPTests {
    @Test func tenMegabytesEachWayByteExact() throws {
        let size = 10 * 1024 * 1024
        let lab = try KernelLab()
        defer { lab.shutdown() }
        let peer = try lab.startPeer(pythonPrelude + """
        s = socket.create_connection((VIP, PORT), timeout=25)
        def send():
            s.sendall(A(\(size)))
            s.shutdown(socket.SHUT_WR)
        t = threading.Thread(target=send); t.start()
        got = recv_all(s); t.join()
        print('RECV', len(got), 'OK' if got == B(\(size)) else 'MISMATCH', flush=True)
        """)
        var flow: FlowID?
        var checker = UploadChecker()
        var feeder = DownloadFeeder(total: size)
        var finished = false, closed = false
        try lab.run { endpoint, events, now in
            for event in events {
                switch event {
                case .connectRequested(let id, let tuple):
                    #expect(tuple.serviceAddress == .v4(IPv4Address(10, 201, 0, 2)) && tuple.servicePort == 8080)
                    flow = id
                    endpoint.accept(id, now: now)
                case .readable(let id):
                    checker.consume(endpoint.read(id, max: .max))
                case .finReceived(let id):
                    checker.consume(endpoint.read(id, max: .max))
                case .closed: closed = true
                case .reset: Issue.record("unexpected reset")
                case .writable: break
                }
            }
            if let id = flow {
                checker.consume(endpoint.read(id, max: .max))
                feeder.pump(&endpoint, id, now: now)
                if feeder.done && !finished { finished = true; endpoint.finish(id, now: now) }
            }
            return closed && peer.poll()
        }
        #expect(checker.count == size)
        #expect(checker.mismatchAt == nil)
        #expect(peer.outputText.contains("RECV \(size) OK"), "\(peer.outputText)")
    }

    @Test func kernelHalfClosesFirstThenReadsOurReply() throws {
        let lab = try KernelLab()
        defer { lab.shutdown() }
        let peer = try lab.startPeer(pythonPrelude + """
        s = socket.create_connection((VIP, PORT), timeout=20)
        s.sendall(A(100000)); s.shutdown(socket.SHUT_WR)
        got = recv_all(s)
        print('RECV', len(got), 'OK' if got == B(100000) else 'MISMATCH', flush=True)
        """)
        var checker = UploadChecker()
        var feeder = DownloadFeeder(total: 100_000)
        var flow: FlowID?, sawFIN = false, finished = false, closed = false
        var statesAfterFIN: Set<String> = []
        try lab.run { endpoint, events, now in
            for event in events {
                switch event {
                case .connectRequested(let id, _): flow = id; endpoint.accept(id, now: now)
                case .finReceived: sawFIN = true
                case .closed: closed = true
                default: break
                }
            }
            guard let id = flow else { return false }
            checker.consume(endpoint.read(id, max: .max))
            if sawFIN {  // only now start answering: the kernel's write side is closed, its read side open
                if let state = endpoint.state(of: id) { statesAfterFIN.insert("\(state)") }
                feeder.pump(&endpoint, id, now: now)
                if feeder.done && !finished { finished = true; endpoint.finish(id, now: now) }
            }
            return closed && peer.poll()
        }
        #expect(checker.count == 100_000 && checker.mismatchAt == nil)
        #expect(statesAfterFIN.isSubset(of: ["closeWait", "lastAck"]) && statesAfterFIN.contains("closeWait"),
                "\(statesAfterFIN)")
        #expect(peer.outputText.contains("RECV 100000 OK"), "\(peer.outputText)")
    }

    @Test func weHalfCloseFirstThenKernelSends() throws {
        let lab = try KernelLab()
        defer { lab.shutdown() }
        let peer = try lab.startPeer(pythonPrelude + """
        s = socket.create_connection((VIP, PORT), timeout=20)
        got = recv_all(s)
        s.sendall(A(100000)); s.close()
        print('RECV', len(got), 'OK' if got == B(100000) else 'MISMATCH', flush=True)
        """)
        var checker = UploadChecker()
        var feeder = DownloadFeeder(total: 100_000)
        var flow: FlowID?, finished = false, closed = false, states: Set<String> = []
        try lab.run { endpoint, events, now in
            for event in events {
                switch event {
                case .connectRequested(let id, _): flow = id; endpoint.accept(id, now: now)
                case .closed: closed = true
                default: break
                }
            }
            guard let id = flow else { return false }
            if let s = endpoint.state(of: id) { states.insert("\(s)") }
            checker.consume(endpoint.read(id, max: .max))
            feeder.pump(&endpoint, id, now: now)
            if feeder.done && !finished { finished = true; endpoint.finish(id, now: now) }
            return closed && peer.poll()
        }
        #expect(checker.count == 100_000 && checker.mismatchAt == nil)
        #expect(states.contains("finWait2") && states.contains("timeWait"), "\(states)")
        #expect(peer.outputText.contains("RECV 100000 OK"), "\(peer.outputText)")
    }

    @Test func refusedConnectGetsECONNREFUSED() throws {
        let lab = try KernelLab()
        defer { lab.shutdown() }
        let peer = try lab.startPeer(pythonPrelude + """
        try:
            socket.create_connection((VIP, PORT), timeout=20)
            print('CONNECTED', flush=True)
        except ConnectionRefusedError:
            print('REFUSED', flush=True)
        """)
        try lab.run { endpoint, events, now in
            for case .connectRequested(let id, _) in events { endpoint.refuse(id, now: now) }
            return peer.poll()
        }
        #expect(peer.outputText.contains("REFUSED"), "\(peer.outputText)")
        #expect(lab.endpoint.counters.flowsRefused == 1)
    }

    @Test func kernelResetReachesUs() throws {
        let lab = try KernelLab()
        defer { lab.shutdown() }
        let peer = try lab.startPeer(pythonPrelude + """
        s = socket.create_connection((VIP, PORT), timeout=20)
        s.sendall(b'x')
        s.recv(1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.close()
        print('ABORTED', flush=True)
        """)
        var flow: FlowID?, sawReset = false, closed = false, replied = false
        try lab.run { endpoint, events, now in
            for event in events {
                switch event {
                case .connectRequested(let id, _): flow = id; endpoint.accept(id, now: now)
                case .reset: sawReset = true
                case .closed: closed = true
                default: break
                }
            }
            if let id = flow, !replied, endpoint.read(id, max: 10) == [UInt8(ascii: "x")] {
                replied = true
                _ = endpoint.write(id, [1], now: now)
            }
            return closed && peer.poll()
        }
        #expect(sawReset)
        #expect(lab.endpoint.counters.resetsReceived == 1)
        #expect(peer.outputText.contains("ABORTED"))
    }

    @Test func ourResetReachesTheKernel() throws {
        let lab = try KernelLab()
        defer { lab.shutdown() }
        let peer = try lab.startPeer(pythonPrelude + """
        try:
            # The RST may already be processed when connect() returns: both count.
            s = socket.create_connection((VIP, PORT), timeout=20)
            d = s.recv(10)
            print('EOF' if not d else 'DATA', flush=True)
        except ConnectionResetError:
            print('RESET', flush=True)
        """)
        var closed = false
        try lab.run { endpoint, events, now in
            for event in events {
                switch event {
                case .connectRequested(let id, _): endpoint.accept(id, now: now)
                case .writable(let id): endpoint.reset(id, now: now)
                case .closed: closed = true
                default: break
                }
            }
            return closed && peer.poll()
        }
        #expect(peer.outputText.contains("RESET"), "\(peer.outputText)")
    }

    @Test func slowReaderWindowExhaustionLosesNothing() throws {
        let size = 2 * 1024 * 1024
        let lab = try KernelLab()
        defer { lab.shutdown() }
        let peer = try lab.startPeer(pythonPrelude + """
        s = socket.create_connection((VIP, PORT), timeout=25)
        s.sendall(A(\(size))); s.shutdown(socket.SHUT_WR)
        got = recv_all(s)
        print('DONE', got.decode(), flush=True)
        """)
        var flow: FlowID?
        var checker = UploadChecker()
        var phase = 0  // 0: credit 0, waiting for the kernel to stall; 1: draining with growing credit
        var credit = 0, closed = false, finished = false
        try lab.run { endpoint, events, now in
            for event in events {
                switch event {
                case .connectRequested(let id, _):
                    flow = id
                    endpoint.accept(id, now: now)
                    endpoint.setReceiveCredit(id, bytes: 0)
                case .closed: closed = true
                default: break
                }
            }
            guard let id = flow else { return false }
            if phase == 0 {
                // The kernel filled the window we had promised and now probes a zero window.
                if endpoint.counters.zeroWindowsAdvertised >= 1 && endpoint.counters.droppedOutOfWindow >= 2 {
                    phase = 1
                }
                return false
            }
            // The stream takes a little at a time: read, then grant a bit more credit.
            let bytes = endpoint.read(id, max: 32 * 1024)
            checker.consume(bytes)
            if endpoint.readableBytes(id) == 0 {
                credit = min(credit + 16 * 1024, 256 * 1024)
                endpoint.setReceiveCredit(id, bytes: credit)
            }
            if checker.count == size && endpoint.state(of: id) == .closeWait && !finished {
                finished = true
                _ = endpoint.write(id, Array("OK \(checker.count)".utf8), now: now)
                endpoint.finish(id, now: now)
            }
            return closed && peer.poll()
        }
        #expect(checker.count == size && checker.mismatchAt == nil)
        #expect(peer.outputText.contains("DONE OK \(size)"), "\(peer.outputText)")
        #expect(lab.endpoint.counters.windowUpdatesSent > 0)
    }

    @Test func droppedOutgoingSegmentIsRetransmitted() throws {
        let size = 1024 * 1024
        let lab = try KernelLab()
        defer { lab.shutdown() }
        let drop = DropNthDataSegment(5)
        lab.dropOutgoing = drop
        let peer = try lab.startPeer(pythonPrelude + """
        s = socket.create_connection((VIP, PORT), timeout=25)
        got = recv_all(s)
        print('RECV', len(got), 'OK' if got == B(\(size)) else 'MISMATCH', flush=True)
        """)
        var flow: FlowID?, feeder = DownloadFeeder(total: size), finished = false, closed = false
        try lab.run { endpoint, events, now in
            for event in events {
                switch event {
                case .connectRequested(let id, _): flow = id; endpoint.accept(id, now: now)
                case .finReceived(let id): endpoint.finish(id, now: now)
                case .closed: closed = true
                default: break
                }
            }
            guard let id = flow else { return false }
            feeder.pump(&endpoint, id, now: now)
            if feeder.done && !finished { finished = true; endpoint.finish(id, now: now) }
            return closed && peer.poll()
        }
        #expect(drop.dropped)
        #expect(lab.endpoint.counters.segmentsRetransmitted >= 1)
        #expect(peer.outputText.contains("RECV \(size) OK"), "\(peer.outputText)")
    }

    @Test func droppedIncomingSegmentIsRecovered() throws {
        let size = 1024 * 1024
        let lab = try KernelLab()
        defer { lab.shutdown() }
        let drop = DropNthDataSegment(5)
        lab.dropIncoming = drop
        let peer = try lab.startPeer(pythonPrelude + """
        s = socket.create_connection((VIP, PORT), timeout=25)
        s.sendall(A(\(size))); s.shutdown(socket.SHUT_WR)
        got = recv_all(s)
        print('DONE', flush=True)
        """)
        var flow: FlowID?, checker = UploadChecker(), closed = false
        try lab.run { endpoint, events, now in
            for event in events {
                switch event {
                case .connectRequested(let id, _): flow = id; endpoint.accept(id, now: now)
                case .finReceived(let id):
                    checker.consume(endpoint.read(id, max: .max))
                    endpoint.finish(id, now: now)
                case .closed: closed = true
                default: break
                }
            }
            if let id = flow { checker.consume(endpoint.read(id, max: .max)) }
            return closed && peer.poll()
        }
        #expect(drop.dropped)
        #expect(checker.count == size && checker.mismatchAt == nil)
        #expect(lab.endpoint.counters.outOfOrderSegmentsQueued >= 1)
        #expect(peer.outputText.contains("DONE"))
    }
}
#endif
