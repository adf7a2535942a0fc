import IPPacket
import NIOCore
import Testing
@testable import UserspaceTCP

/// A hand-driven stand-in for the kernel's side of one flow: builds segments, collects what the endpoint
/// sends, and moves a manual clock.
struct KernelPeer {
    var endpoint: TCPEndpoint
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let client = IPv4Address(10, 201, 0, 1)
    let service = IPv4Address(10, 201, 0, 2)
    var clientPort: UInt16 = 40000
    let servicePort: UInt16 = 8080
    /// The kernel's initial sequence number and next sequence number.
    var kernelISN: UInt32 = 0x1000_0000
    var kernelNext: UInt32 = 0x1000_0001
    /// The endpoint's ISN, learned from the SYN-ACK.
    var endpointISN: UInt32 = 0

    init(configuration: TCPConfiguration = TCPConfiguration(), seed: UInt64 = 42) {
        endpoint = TCPEndpoint(configuration: configuration, randomSeed: seed)
    }

    struct Sent: Equatable {
        var header: TCPHeader
        var payload: [UInt8]
        var flags: TCPFlags { header.flags }
        var seq: UInt32 { header.sequenceNumber }
        var ack: UInt32 { header.acknowledgmentNumber }
    }

    // MARK: Building

    func packet(flags: TCPFlags, seq: UInt32? = nil, ack: UInt32? = nil, window: UInt16 = 65535,
                payload: [UInt8] = [], options: TCPOptions = TCPOptions()) -> [UInt8] {
        let header = TCPHeader(sourcePort: clientPort, destinationPort: servicePort,
                               sequenceNumber: seq ?? kernelNext, acknowledgmentNumber: ack ?? 0,
                               flags: flags, window: window, options: options)
        return IPPacketBuilder.tcp(.v4(source: client, destination: service), header: header, payload: payload)
    }

    mutating func send(flags: TCPFlags, seq: UInt32? = nil, ack: UInt32? = nil, window: UInt16 = 65535,
                       payload: [UInt8] = [], options: TCPOptions = TCPOptions()) {
        endpoint.handle(packet: packet(flags: flags, seq: seq, ack: ack, window: window, payload: payload,
                                       options: options), now: now)
    }

    /// Sends in-order data (advancing the kernel's sequence number), acknowledging everything by default.
    mutating func sendData(_ payload: [UInt8], ack: UInt32? = nil, window: UInt16 = 65535, fin: Bool = false) {
        send(flags: fin ? [.ack, .fin, .psh] : [.ack, .psh], ack: ack ?? endpointISN &+ 1, window: window,
             payload: payload)
        kernelNext &+= UInt32(payload.count) + (fin ? 1 : 0)
    }

    /// Sends `count` in-order bytes in MSS-sized segments.
    mutating func sendBulk(_ range: Range<Int>, mss: Int = 1240) {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + mss, range.upperBound)
            sendData(pattern(start..<end))
            start = end
        }
    }

    mutating func sent() -> [Sent] {
        var out: [Sent] = []
        while let bytes = endpoint.pollPacket() {
            guard let p = try? IPPacket(parsing: bytes), case .tcp(let h) = p.transport else {
                Issue.record("endpoint sent an invalid packet"); continue
            }
            #expect(p.addresses == .v4(source: service, destination: client))
            out.append(Sent(header: h, payload: Array(p.payload)))
        }
        return out
    }

    mutating func events() -> [TCPEvent] {
        var out: [TCPEvent] = []
        while let e = endpoint.pollEvent() { out.append(e) }
        return out
    }

    mutating func advance(by amount: TimeAmount) {
        now = now + amount
        endpoint.handleTimeout(now: now)
    }

    mutating func advanceToTimeout() {
        guard let t = endpoint.pollTimeout() else { Issue.record("no timer armed"); return }
        now = t
        endpoint.handleTimeout(now: now)
    }

    // MARK: Scripts

    /// SYN → accept → SYN-ACK → ACK; returns the established flow.
    mutating func handshake(windowScale: UInt8? = 7, window: UInt16 = 65535, mss: UInt16 = 1240,
                            rtt: TimeAmount = .milliseconds(10)) -> FlowID? {
        send(flags: .syn, seq: kernelISN, window: window,
             options: TCPOptions(maximumSegmentSize: mss, windowScale: windowScale, sackPermitted: true))
        guard case .connectRequested(let id, _)? = events().first else { return nil }
        endpoint.accept(id, now: now)
        guard let synAck = sent().first else { return nil }
        endpointISN = synAck.seq
        now = now + rtt
        send(flags: .ack, seq: kernelNext, ack: endpointISN &+ 1, window: window)
        _ = events()
        return id
    }
}

/// Deterministic bytes `i → (i * 31 + 7) mod 251` (a prime period, so shifts are detected).
func pattern(_ range: Range<Int>) -> [UInt8] { range.map { UInt8(($0 * 31 + 7) % 251) } }

/// `#require` for expressions that mutate (the macro cannot take a mutating call).
func req<T>(_ value: T?, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
    try #require(value, sourceLocation: sourceLocation)
}
