// MARK: - Counters (every drop has a reason)

/// Endpoint-wide counters; monotonic.
public struct TCPCounters: Hashable, Sendable {
    // Input
    public var packetsReceived = 0
    /// IP/TCP parse failures (truncated, bad header length, bad version, fragments, unsupported).
    public var droppedMalformed = 0
    /// IP header or TCP checksum did not verify.
    public var droppedBadChecksum = 0
    /// Not TCP (this endpoint only handles TCP; UDP/ICMP go elsewhere).
    public var droppedNotTCP = 0
    /// A segment for no flow that was not a SYN (answered with RST unless it was an RST).
    public var droppedNoFlow = 0
    /// Sequence number outside the receive window (answered with an ACK).
    public var droppedOutOfWindow = 0
    /// Payload beyond the window's right edge, trimmed.
    public var bytesTrimmedBeyondWindow = 0
    /// Out-of-order segments beyond `maxOutOfOrderSegments`.
    public var droppedOutOfOrderOverflow = 0
    /// An ACK for data we never sent (answered with an ACK, RFC 9293 §3.10.7.4).
    public var droppedAckOfUnsent = 0
    /// SYNs retransmitted by the kernel while we wait for accept (absorbed).
    public var synRetransmissionsAbsorbed = 0
    /// Segments that are meaningless in the flow's state (e.g. data before the handshake completes).
    public var droppedInvalidForState = 0
    /// Out-of-window RSTs and SYNs in synchronized states, answered with a challenge ACK (RFC 5961).
    public var challengeACKsSent = 0

    // Flows
    public var flowsAccepted = 0
    public var flowsRefused = 0
    /// SYNs refused because `maxFlows` flows exist.
    public var refusedFlowLimit = 0
    public var resetsReceived = 0
    public var resetsSent = 0
    /// Connections aborted after `maxRetransmissions` or the accept timeout.
    public var flowsTimedOut = 0

    // Output
    public var packetsSent = 0
    public var segmentsRetransmitted = 0
    public var fastRetransmits = 0
    public var retransmissionTimeouts = 0
    public var zeroWindowProbesSent = 0
    /// ACKs we sent that advertised a zero window.
    public var zeroWindowsAdvertised = 0
    public var windowUpdatesSent = 0
    public var outOfOrderSegmentsQueued = 0

    public init() {}
}
