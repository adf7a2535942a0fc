// MARK: - NATTraversalParameter

/// The nat_traversal transport parameter (0x3d7e9f0bca12fea6, draft-seemann-quic-nat-traversal-02 §4.5):
/// a client announces support with an empty value, a server with its concurrency limit — how many paths
/// it will probe at once for one round of PUNCH_ME_NOW frames. Any other value is a
/// TRANSPORT_PARAMETER_ERROR.
public enum NATTraversalParameter: Hashable, Sendable {
    /// A client supports the extension (empty value).
    case client
    /// A server supports the extension and probes at most `concurrencyLimit` paths at once (> 0).
    case server(concurrencyLimit: UInt64)
}

// MARK: - AddressDiscoveryMode

/// The address_discovery transport parameter (0x9f81a176, draft-ietf-quic-address-discovery §3): what the
/// sender is willing to do with OBSERVED_ADDRESS frames. Values above 2 are a TRANSPORT_PARAMETER_ERROR.
public enum AddressDiscoveryMode: UInt64, Hashable, Sendable, CaseIterable {
    /// 0: the sender reports the addresses it observes, but wants none reported to it.
    case provideOnly = 0
    /// 1: the sender wants observations, but reports none.
    case receiveOnly = 1
    /// 2: both.
    case both = 2

    /// Whether the sender of this value reports what it observes.
    @inlinable
    public var provides: Bool { self != .receiveOnly }

    /// Whether the sender of this value wants observations: only then may its peer send OBSERVED_ADDRESS.
    @inlinable
    public var receives: Bool { self != .provideOnly }
}
