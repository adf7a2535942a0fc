public import NIOCore

// MARK: - Configuration

/// Limits and timers of a `TCPEndpoint`.
public struct TCPConfiguration: Sendable {
    /// The TUN MTU: our MSS option is `mtu - 40` (IPv4) or `mtu - 60` (IPv6), RFC 9293 §3.7.1.
    public var mtu: Int
    /// Most concurrent flows; further SYNs get RST and are counted (`refusedFlowLimit`).
    public var maxFlows: Int
    /// Bytes from the stream not yet acknowledged by the kernel (bounds `write`).
    public var sendBufferSize: Int
    /// Bytes from the kernel not yet `read` (bounds the advertised window).
    public var receiveBufferSize: Int
    /// RFC 6298 §2.1 initial RTO (1 s).
    public var initialRTO: TimeAmount
    /// RFC 6298 §2.4 lower bound; 200 ms as Linux uses (RFC says 1 s, "SHOULD").
    public var minimumRTO: TimeAmount
    /// RFC 6298 §2.5 upper bound.
    public var maximumRTO: TimeAmount
    /// RFC 9293 §3.8.6.3: delayed ACK, well under 0.5 s.
    public var delayedACKTimeout: TimeAmount
    /// TIME-WAIT length. Shortened from 2×MSL: the only peer is the local kernel over a TUN, so no old
    /// duplicate can linger in a network; 2 s still absorbs a retransmitted FIN.
    public var timeWaitDuration: TimeAmount
    /// How long a SYN may wait for `accept`/`refuse` before it is answered with RST.
    public var acceptTimeout: TimeAmount
    /// Retransmissions of one segment before the connection is aborted (RFC 9293 §3.8.3 R2).
    public var maxRetransmissions: Int
    /// Out-of-order segments kept for reassembly per flow (beyond this they are dropped and counted;
    /// the kernel retransmits them).
    public var maxOutOfOrderSegments: Int

    public init(
        mtu: Int = 1280, maxFlows: Int = 1024, sendBufferSize: Int = 256 * 1024,
        receiveBufferSize: Int = 256 * 1024, initialRTO: TimeAmount = .seconds(1),
        minimumRTO: TimeAmount = .milliseconds(200), maximumRTO: TimeAmount = .seconds(60),
        delayedACKTimeout: TimeAmount = .milliseconds(40), timeWaitDuration: TimeAmount = .seconds(2),
        acceptTimeout: TimeAmount = .seconds(30), maxRetransmissions: Int = 10, maxOutOfOrderSegments: Int = 64
    ) {
        self.mtu = mtu
        self.maxFlows = maxFlows
        self.sendBufferSize = sendBufferSize
        self.receiveBufferSize = receiveBufferSize
        self.initialRTO = initialRTO
        self.minimumRTO = minimumRTO
        self.maximumRTO = maximumRTO
        self.delayedACKTimeout = delayedACKTimeout
        self.timeWaitDuration = timeWaitDuration
        self.acceptTimeout = acceptTimeout
        self.maxRetransmissions = maxRetransmissions
        self.maxOutOfOrderSegments = maxOutOfOrderSegments
    }

    /// Our MSS for a family: MTU minus the IP and TCP headers, at least the RFC 9293 default of 536 (v4) /
    /// RFC 8200 1220 (v6) derived from the minimum MTU.
    func maximumSegmentSize(ipv6: Bool) -> Int {
        ipv6 ? max(mtu - 60, 1220) : max(mtu - 40, 536)
    }

    /// The window-scale shift that lets the receive buffer be advertised (RFC 7323 §2.3, at most 14).
    var receiveWindowScale: UInt8 {
        var shift: UInt8 = 0
        while shift < 14 && (receiveBufferSize >> Int(shift)) > 65535 { shift += 1 }
        return shift
    }
}
