public import NIOCore

/// Decides whether a server endpoint takes a new client at once, asks it to prove its address with Retry
/// first (RFC 9000 §8.1.2), or drops it — the server's defence against handshake floods.
///
/// Two measures, both cheap and bounded:
/// - the rate of new handshakes: with `RetryPolicy.auto(handshakesPerSecond:)`, once more handshakes than
///   that started in the current second, further clients without a token get a Retry;
/// - handshakes in progress per source IP (`maxHandshakesPerAddress`): a client address with that many
///   unfinished handshakes gets a Retry (or, with `RetryPolicy.never`, its new Initials are dropped). A client
///   that returns with a valid Retry token has proved its address and is always admitted (many users may sit
///   behind one NAT).
struct HandshakeAdmission: Sendable {
    enum Decision: Equatable { case accept, retry, drop }

    /// The source of a handshake: its IP without the port (a flood changes ports), or a relay route.
    private enum SourceKey: Hashable, Sendable {
        case ip(String)
        case relayed(UInt64)

        init(_ address: PathAddress) {
            switch address {
            case .udp(let socket):
                // Only on a new client's first Initial: the string's cost does not matter.
                self = .ip(socket.ipAddress ?? "")
            case .relayed(let route):
                self = .relayed(route.rawValue)
            }
        }
    }

    private var windowSecond: Int64 = .min
    private var startedInWindow = 0
    private var inProgress: [ConnectionHandle: SourceKey] = [:]
    private var perSource: [SourceKey: Int] = [:]

    /// What to do with a new client's first Initial.
    func decide(from remote: PathAddress, hasValidToken: Bool, policy: QUICEndpointConfiguration.RetryPolicy,
                maxPerAddress: Int, now: NIODeadline) -> Decision {
        if hasValidToken { return .accept }
        let crowded = perSource[SourceKey(remote), default: 0] >= maxPerAddress
        switch policy {
        case .always:
            return .retry
        case .never:
            return crowded ? .drop : .accept
        case .auto(let perSecond):
            let second = now.uptimeNanoseconds / 1_000_000_000
            let started = second == UInt64(bitPattern: windowSecond) ? startedInWindow : 0
            return crowded || started >= perSecond ? .retry : .accept
        }
    }

    /// A handshake started.
    mutating func started(_ handle: ConnectionHandle, from remote: PathAddress, now: NIODeadline) {
        let second = Int64(bitPattern: now.uptimeNanoseconds / 1_000_000_000)
        if second != windowSecond {
            windowSecond = second
            startedInWindow = 0
        }
        startedInWindow += 1
        let key = SourceKey(remote)
        inProgress[handle] = key
        perSource[key, default: 0] += 1
    }

    /// A handshake ended: completed, failed, or the connection is gone.
    mutating func finished(_ handle: ConnectionHandle) {
        guard let key = inProgress.removeValue(forKey: handle) else { return }
        let remaining = perSource[key, default: 1] - 1
        perSource[key] = remaining > 0 ? remaining : nil
    }

    func isInProgress(_ handle: ConnectionHandle) -> Bool { inProgress[handle] != nil }

    /// Handshakes in progress (for statistics).
    var handshakesInProgress: Int { inProgress.count }
}
