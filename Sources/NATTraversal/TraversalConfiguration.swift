public import NIOCore

// MARK: - TraversalConfiguration

/// The numbers of DESIGN.md §6, named so tests (and operators) can change them. The defaults are the design's.
public struct TraversalConfiguration: Hashable, Sendable {
    // MARK: Probing schedule

    /// A new pair's first probe goes out at most this often (RFC 8445 §6.1.4.2 pacing, Ta).
    public var pacingInterval: TimeAmount = .milliseconds(20)
    /// The wait after a probe's first transmission; it doubles after each retransmission.
    public var initialRetransmitTimeout: TimeAmount = .milliseconds(100)
    /// The longest wait between transmissions, and the wait after the last one before the pair fails.
    public var maximumRetransmitTimeout: TimeAmount = .milliseconds(1600)
    /// Transmissions per pair, the first included.
    public var transmissionsPerPair: Int = 5
    /// The whole attempt (every round) ends this long after it started.
    public var attemptTimeout: TimeAmount = .seconds(10)
    /// After the first validated pair the attempt keeps probing the current round's better pairs at most
    /// this long, then cancels what is left (DESIGN.md §6 "keep probing better pairs for a short while").
    public var probingAfterSuccess: TimeAmount = .seconds(1)

    // MARK: Concurrency and bounds

    /// Paths probed at once. A connector advertises this as its nat_traversal concurrency limit; an agent
    /// uses the smaller of this and the connector's limit (draft-seemann-quic-nat-traversal-02 §4.5). Every
    /// punch names one of the agent's addresses for the connector to probe, and a node's host addresses come
    /// first by priority (RFC 8445): 8 leaves room in the first round for a few interfaces and the
    /// server-reflexive address behind them (with 4, two interfaces and two remote candidates filled the round
    /// with host pairs, and the pair that works waited 3 s for the next one — found in the NAT lab).
    public var concurrencyLimit: Int = 8
    /// Remote candidates kept (advertised and peer-reflexive); more are refused and counted.
    public var maximumRemoteCandidates: Int = 32
    /// Local candidates used; more are ignored and counted.
    public var maximumLocalCandidates: Int = 16

    // MARK: Selection

    /// A direct path replaces another direct path only if its RTT is lower by at least this much…
    public var switchMinimumImprovement: TimeAmount = .milliseconds(5)
    /// …and by at least this percentage of the current path's RTT.
    public var switchMinimumImprovementPercent: Int = 10

    // MARK: Liveness

    /// An idle direct path gets a PING this often (field NAT mappings expire after about 30 s).
    public var keepaliveInterval: TimeAmount = .seconds(15)
    /// This many keepalives in a row without anything received fail an idle direct path.
    public var unansweredKeepalivesToFail: Int = 3
    /// While traffic flows, unacknowledged data this many PTOs old fails the direct path…
    public var failureProbeTimeouts: Int = 3
    /// …but never sooner than this…
    public var minimumFailureTimeout: TimeAmount = .seconds(1)
    /// …and never later than this.
    public var maximumFailureTimeout: TimeAmount = .seconds(3)

    // MARK: Recovery

    /// The first retry after a failed attempt or a failed direct path.
    public var initialRetryDelay: TimeAmount = .seconds(30)
    /// Retries back off by doubling up to this.
    public var maximumRetryDelay: TimeAmount = .minutes(5)

    public init() {}

    /// `failureProbeTimeouts × probeTimeout`, clamped to [minimumFailureTimeout, maximumFailureTimeout].
    public func failureTimeout(probeTimeout: TimeAmount) -> TimeAmount {
        // Saturating: a peer-influenced PTO must not overflow the multiplication.
        let pto = max(probeTimeout.nanoseconds, 0)
        let multiplier = Int64(max(failureProbeTimeouts, 0))
        let (product, overflow) = pto.multipliedReportingOverflow(by: multiplier)
        let raw = overflow ? Int64.max : product
        return .nanoseconds(min(max(raw, minimumFailureTimeout.nanoseconds), maximumFailureTimeout.nanoseconds))
    }

    /// The wait after the `index`-th transmission (1-based) of a probe: 100, 200, 400, 800, 1600 ms.
    func retransmitTimeout(afterTransmission index: Int) -> TimeAmount {
        var timeout = initialRetransmitTimeout
        var step = 1
        while step < index && timeout < maximumRetransmitTimeout {
            timeout = timeout + timeout
            step += 1
        }
        return min(timeout, maximumRetransmitTimeout)
    }
}
