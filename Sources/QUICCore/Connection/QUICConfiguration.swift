public import NIOCore
public import QUICTLS
public import QUICWire

/// Settings of one QUIC connection (either role). Defaults suit ztna's tunnels and relay connections.
public struct QUICConfiguration: Sendable {
    /// The TLS context: certificates, trust roots, ALPN (client or server role must match the connection's).
    public var tls: TLSContext

    /// RFC 9000 §10.1: our max_idle_timeout; the effective timeout is the smaller of both sides' values.
    public var maxIdleTimeout: TimeAmount = .seconds(30)
    /// Send a PING when nothing was sent for this long (nil: never). Keeps NAT bindings and the idle timer alive.
    public var keepAliveInterval: TimeAmount? = nil

    // MARK: Flow control (RFC 9000 §4) — initial windows, auto-tuned up to the maxima.
    public var initialMaxData: UInt64 = 4 << 20
    public var maxConnectionWindow: UInt64 = 64 << 20
    public var initialMaxStreamData: UInt64 = 1 << 20
    public var maxStreamWindow: UInt64 = 16 << 20
    public var initialMaxStreamsBidi: UInt64 = 100
    public var initialMaxStreamsUni: UInt64 = 100
    /// Bytes the application may queue on a stream beyond what flow control lets us send.
    public var streamSendBufferLimit: Int = 4 << 20

    // MARK: DATAGRAM (RFC 9221)
    /// Our max_datagram_frame_size; nil disables receiving DATAGRAM frames.
    public var maxDatagramFrameSize: UInt64? = 65535
    /// Datagrams queued for sending; when full the oldest is dropped (and counted).
    public var datagramSendQueueLimit: Int = 1024
    /// Received datagrams not yet taken by the application; when full, new arrivals are dropped (and counted).
    public var datagramReceiveQueueLimit: Int = 1024

    // MARK: Paths and recovery
    /// The largest UDP payload we send on a fresh path (RFC 9000 §14: at least 1200 on unknown paths).
    public var maxUDPPayloadSize: Int = 1200
    /// The max_udp_payload_size transport parameter we advertise (what we can receive).
    public var advertisedMaxUDPPayloadSize: UInt64 = 65527
    public var congestionControl: CongestionControlAlgorithm = .cubic
    public var initialRTT: TimeAmount = .milliseconds(333)
    /// RFC 9000 §18.2 max_ack_delay we advertise and honour.
    public var maxAckDelay: TimeAmount = .milliseconds(25)
    public var ackDelayExponent: UInt64 = 3
    /// Length of the connection IDs we issue (routing needs a fixed length for short headers).
    public var connectionIDLength: Int = 8
    public var activeConnectionIDLimit: UInt64 = 4
    /// Issue a fresh set of connection IDs this often and make the peer retire the old ones, so that a long-lived
    /// connection does not keep one identifier on the wire (RFC 9000 §5.1.2); nil: never rotate.
    public var connectionIDRotationInterval: TimeAmount? = .minutes(5)
    public var disableActiveMigration: Bool = false
    /// PATH_CHALLENGE retransmission schedule (RFC 9000 §8.2).
    public var pathValidation = PathValidationPolicy()
    /// The largest UDP payload on a path the peer moves to on its own (a rebinding or its migration), until
    /// the application says otherwise with `setMaxUDPPayload(_:for:)`.
    public var newPathMaxUDPPayloadSize: Int = 1200
    /// Offer draft-seemann-quic-nat-traversal-02 (the nat_traversal transport parameter): the client may then
    /// ask the server, with PUNCH_ME_NOW, to probe its addresses, and the server advertises its own with
    /// ADD_ADDRESS. Only tunnel connections between an agent (client) and a connector (server) use it.
    public var offersNATTraversal = false
    /// Server: how many paths it probes at once for the client's PUNCH_ME_NOW frames (the transport
    /// parameter's value, > 0); `probePath` refuses more with `.probeLimitReached`.
    public var natTraversalConcurrencyLimit: UInt64 = 8
    /// draft-ietf-quic-address-discovery: whether we report the addresses we observe, want them reported to us,
    /// or both (nil: not offered). Relay connections use it to give nodes their server-reflexive addresses.
    public var addressDiscovery: AddressDiscoveryMode? = nil
    /// Start a 1-RTT key update after this many packets sent in one key phase (RFC 9001 §6); nil: never
    /// initiate (updates from the peer are always followed). The default stays well inside AES-GCM's
    /// confidentiality limit of 2^23 packets (RFC 9001 §6.6).
    public var keyUpdateInterval: Int? = 1 << 22

    public init(tls: TLSContext) {
        self.tls = tls
    }
}
