import IPPacket
public import NIOCore
import DequeModule

// MARK: - The agent's userspace TCP endpoint (DESIGN.md §4), sans-IO

/// Terminates the kernel's TCP connections that arrive on the agent's TUN.
///
/// Methods, in the order a shell uses them:
/// - inputs: `handle(packet:now:)`, `handleTimeout(now:)`;
/// - owner commands: `accept`, `refuse`, `read`, `setReceiveCredit`, `write`, `finish`, `reset`;
/// - outputs (pull until nil after every input or command): `pollPacket()` (write to the TUN), then
///   `pollEvent()`, then re-arm one timer at `pollTimeout()`.
///
/// Flows are keyed by the 4-tuple and bounded by `maxFlows`. `pollTimeout` and `handleTimeout` scan the
/// flows (O(flows)); they run once per batch of packets, not per packet.
public struct TCPEndpoint {
    public let configuration: TCPConfiguration
    private var random: SeededRandom
    private var flowsByTuple: [FlowTuple: FlowID] = [:]
    private var flows: [FlowID: TCPConnection] = [:]
    private var nextFlowID: UInt64 = 1
    private var output = TCPOutput()

    /// An endpoint with no flows; `randomSeed` drives the initial sequence numbers.
    public init(configuration: TCPConfiguration, randomSeed: UInt64) {
        self.configuration = configuration
        random = SeededRandom(seed: randomSeed)
    }

    // MARK: - Getters

    /// Counters since creation.
    public var counters: TCPCounters { output.counters }
    /// Flows not yet reported `.closed`.
    public var flowCount: Int { flows.count }
    /// A flow's state, nil when unknown or gone.
    public func state(of flow: FlowID) -> TCPConnectionState? { flows[flow]?.state }
    /// A flow's 4-tuple.
    public func tuple(of flow: FlowID) -> FlowTuple? { flows[flow]?.tuple }
    /// Bytes waiting for `read`.
    public func readableBytes(_ flow: FlowID) -> Int { flows[flow]?.receive.ring.count ?? 0 }
    /// Free space in the send buffer (what `write` would take now).
    public func writableBytes(_ flow: FlowID) -> Int {
        guard let c = flows[flow], !c.finRequested else { return 0 }
        switch c.state {
        case .synReceived, .established, .closeWait: return c.sendBuffer.room
        default: return 0
        }
    }
    /// Bytes written but not yet acknowledged by the kernel.
    public func unacknowledgedBytes(_ flow: FlowID) -> Int { flows[flow]?.sendBuffer.count ?? 0 }
    /// The current retransmission timeout of a flow (RFC 6298), for diagnostics.
    public func retransmissionTimeout(_ flow: FlowID) -> TimeAmount? { flows[flow]?.rtt.rto }

    // MARK: - Inputs

    /// Processes one whole IPv4/IPv6 packet read from the TUN. Anything malformed is counted and dropped.
    public mutating func handle(packet bytes: [UInt8], now: NIODeadline) {
        output.counters.packetsReceived += 1
        let packet: IPPacket
        do {
            packet = try IPPacket(parsing: bytes)
        } catch {
            if case .badChecksum = error { output.counters.droppedBadChecksum += 1 } else {
                output.counters.droppedMalformed += 1
            }
            return
        }
        guard case .tcp(let segment) = packet.transport else {
            output.counters.droppedNotTCP += 1
            return
        }
        let addresses = packet.addresses
        let tuple = FlowTuple(clientAddress: addresses.source, clientPort: segment.sourcePort,
                              serviceAddress: addresses.destination, servicePort: segment.destinationPort)
        if let id = flowsByTuple[tuple] {
            // RFC 9293 §3.6.1: a new SYN may reopen a connection in TIME-WAIT if it is beyond the old one.
            if flows[id]?.state == .timeWait, segment.flags.contains(.syn), !segment.flags.contains(.ack),
               let old = flows[id], SequenceNumber(segment.sequenceNumber) > old.rcvNxt {
                flows[id]?.state = .closed
                reap(id)
            } else {
                bytes.withUnsafeBytes { raw in
                    flows[id]?.handle(segment, payload: UnsafeRawBufferPointer(rebasing: raw[packet.payloadRange]),
                                      now: now, &output)
                }
                reap(id)
                return
            }
        }
        handleWithoutFlow(segment, tuple: tuple, addresses: addresses, payloadLength: packet.payloadRange.count, now: now)
    }

    /// RFC 9293 §3.10.7.1/§3.10.7.2: segments for no connection (we are "listening" on every VIP).
    private mutating func handleWithoutFlow(_ segment: TCPHeader, tuple: FlowTuple, addresses: IPAddressPair,
                                            payloadLength: Int, now: NIODeadline) {
        let flags = segment.flags
        if flags.contains(.rst) {
            output.counters.droppedNoFlow += 1
            return
        }
        if flags.contains(.ack) {
            // <SEQ=SEG.ACK><CTL=RST>
            output.counters.droppedNoFlow += 1
            sendBareReset(addresses.reversed, segment, sequence: segment.acknowledgmentNumber, ack: nil)
            return
        }
        guard flags.contains(.syn) else {
            output.counters.droppedNoFlow += 1
            return
        }
        if flows.count >= configuration.maxFlows {
            output.counters.refusedFlowLimit += 1
            let length = UInt32(truncatingIfNeeded: payloadLength) &+ 1 &+ (flags.contains(.fin) ? 1 : 0)
            sendBareReset(addresses.reversed, segment, sequence: 0, ack: segment.sequenceNumber &+ length)
            return
        }
        let id = FlowID(rawValue: nextFlowID)
        nextFlowID += 1
        let connection = TCPConnection(id: id, tuple: tuple, addresses: addresses.reversed, syn: segment,
                                       iss: UInt32(truncatingIfNeeded: random.next()),
                                       configuration: configuration, now: now)
        flows[id] = connection
        flowsByTuple[tuple] = id
        output.events.append(.connectRequested(id, tuple))
    }

    private mutating func sendBareReset(_ addresses: IPAddressPair, _ segment: TCPHeader, sequence: UInt32, ack: UInt32?) {
        let header = TCPHeader(sourcePort: segment.destinationPort, destinationPort: segment.sourcePort,
                               sequenceNumber: sequence, acknowledgmentNumber: ack ?? 0,
                               flags: ack == nil ? .rst : [.rst, .ack], window: 0)
        output.packets.append(IPPacketBuilder.tcp(addresses, header: header,
                                                  fields: IPHeaderFields(identification: output.nextIPIdentification)))
        output.nextIPIdentification &+= 1
        output.counters.packetsSent += 1
        output.counters.resetsSent += 1
    }

    /// Fires every timer that is due.
    public mutating func handleTimeout(now: NIODeadline) {
        let due = flows.compactMap { id, c in (c.nextDeadline.map { $0 <= now } ?? false) ? id : nil }
        for id in due.sorted(by: { $0.rawValue < $1.rawValue }) {
            flows[id]?.handleTimeout(now: now, &output)
            reap(id)
        }
    }

    // MARK: - Owner commands

    /// The connector answered `00`: send the SYN-ACK.
    public mutating func accept(_ flow: FlowID, now: NIODeadline) {
        flows[flow]?.accept(now: now, &output)
        reap(flow)
    }

    /// Any other connector status: answer the SYN with RST+ACK (the app's connect() fails with ECONNREFUSED).
    public mutating func refuse(_ flow: FlowID, now: NIODeadline) {
        flows[flow]?.refuse(&output)
        reap(flow)
    }

    /// Up to `max` in-order bytes the kernel sent.
    public mutating func read(_ flow: FlowID, max: Int) -> [UInt8] {
        let bytes = flows[flow]?.read(max: max, &output) ?? []
        reap(flow)
        return bytes
    }

    /// How many more bytes the stream can take after everything read so far: bounds our advertised window
    /// (which never shrinks its right edge, RFC 9293 §3.8.6.2.2). Without a call the buffer alone bounds it.
    public mutating func setReceiveCredit(_ flow: FlowID, bytes: Int) {
        flows[flow]?.setReceiveCredit(bytes, &output)
    }

    /// Queues bytes for the kernel; returns how many the send buffer took (the rest: retry after `.writable`).
    public mutating func write(_ flow: FlowID, _ bytes: [UInt8], now: NIODeadline) -> Int {
        let taken = bytes.withUnsafeBytes { raw in flows[flow]?.write(raw, now: now, &output) } ?? 0
        reap(flow)
        return taken
    }

    /// The stream finished: send FIN after the queued bytes (half-close; we keep receiving).
    public mutating func finish(_ flow: FlowID, now: NIODeadline) {
        flows[flow]?.finish(now: now, &output)
        reap(flow)
    }

    /// The stream was reset: send RST and forget the flow.
    public mutating func reset(_ flow: FlowID, now: NIODeadline) {
        flows[flow]?.abort(&output)
        reap(flow)
    }

    // MARK: - Outputs

    /// The next IP packet to write to the TUN.
    public mutating func pollPacket() -> [UInt8]? { output.packets.popFirst() }

    /// The next event.
    public mutating func pollEvent() -> TCPEvent? { output.events.popFirst() }

    /// When `handleTimeout` must next run; nil when no timer is armed.
    public func pollTimeout() -> NIODeadline? {
        var earliest: NIODeadline?
        for connection in flows.values {
            if let d = connection.nextDeadline, earliest.map({ d < $0 }) ?? true { earliest = d }
        }
        return earliest
    }

    // MARK: - Bookkeeping

    /// Removes a flow that is gone. After a graceful close it stays (readable, no timers) until its
    /// unread bytes are read, so a FIN racing our own close never loses data.
    private mutating func reap(_ id: FlowID) {
        guard let connection = flows[id], connection.isClosed,
              connection.discardUnread || connection.receive.ring.isEmpty else { return }
        flows[id] = nil
        flowsByTuple[connection.tuple] = nil
        output.events.append(.closed(id))
    }
}
