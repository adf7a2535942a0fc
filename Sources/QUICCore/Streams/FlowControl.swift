import NIOCore

// MARK: - Sending side

/// Credit the peer gave us (MAX_DATA or MAX_STREAM_DATA, RFC 9000 §4.1): how much we may send.
struct SendFlowCredit: Sendable {
    /// The largest offset (or connection total) the peer allows.
    private(set) var limit: UInt64
    /// The limit at which we last sent DATA_BLOCKED / STREAM_DATA_BLOCKED, so it is sent once per limit.
    var blockedReportedAt: UInt64?

    init(limit: UInt64) {
        self.limit = limit
    }

    /// Applies a new limit from the peer. Decreases are ignored (RFC 9000 §19.9, §19.10: a MAX_DATA frame that
    /// does not increase the limit can arrive reordered). Returns true when the limit went up.
    @discardableResult
    mutating func raise(to newLimit: UInt64) -> Bool {
        guard newLimit > limit else { return false }
        limit = newLimit
        return true
    }

    /// Bytes that may still be sent when `sent` were sent so far (zero when at or over the limit).
    func available(sent: UInt64) -> UInt64 {
        sent < limit ? limit - sent : 0
    }

    /// When sending is blocked at the current limit and that was not reported yet, records the report and
    /// returns the limit to put in the *_BLOCKED frame (RFC 9000 §4.1: SHOULD send one when blocked).
    mutating func takeBlockedReport(sent: UInt64) -> UInt64? {
        guard sent >= limit, blockedReportedAt != limit else { return nil }
        blockedReportedAt = limit
        return limit
    }
}

// MARK: - Receiving side

/// Credit we give the peer, with window auto-tuning (RFC 9000 §4.2 leaves the strategy to us).
///
/// A new limit is offered once the reader consumed more than half of the window, so the peer never stalls
/// while an update is in flight. When such updates come less than two RTTs apart, the window is too small for
/// the bandwidth-delay product and doubles, up to `maxWindow`.
struct ReceiveFlowWindow: Sendable {
    /// RFC 9000 §19.9: MAX_DATA / MAX_STREAM_DATA values are varints.
    static let maxLimit: UInt64 = (1 << 62) - 1

    /// The limit the peer knows (advertised).
    private(set) var limit: UInt64
    /// The current window size.
    private(set) var window: UInt64
    let maxWindow: UInt64
    /// How far the application consumed.
    private(set) var consumed: UInt64 = 0
    /// When the last update was generated (nil: none yet).
    private var lastUpdate: NIODeadline?

    init(initialWindow: UInt64, maxWindow: UInt64) {
        let initial = Swift.min(initialWindow, Self.maxLimit)
        limit = initial
        window = initial
        self.maxWindow = Swift.max(Swift.min(maxWindow, Self.maxLimit), initial)
    }

    /// Whether data received up to `highestOffset` is within the advertised limit; false means the peer
    /// violated flow control (FLOW_CONTROL_ERROR, RFC 9000 §4.1).
    func check(highestOffset: UInt64) -> Bool {
        highestOffset <= limit
    }

    /// The application consumed bytes up to `consumed`. Returns a new limit to advertise now, if any.
    mutating func onConsumed(upTo newConsumed: UInt64, now: NIODeadline, smoothedRTT: TimeAmount) -> UInt64? {
        consumed = Swift.max(consumed, newConsumed)
        let remaining = limit > consumed ? limit - consumed : 0
        // More than half of the window consumed since the last update.
        guard remaining < window - window / 2 else { return nil }
        if let lastUpdate {
            let twoRTTs = smoothedRTT.nanoseconds.multipliedReportingOverflow(by: 2)
            if twoRTTs.overflow || (now - lastUpdate).nanoseconds < twoRTTs.partialValue {
                let doubled = window.multipliedReportingOverflow(by: 2)
                window = doubled.overflow ? maxWindow : Swift.min(doubled.partialValue, maxWindow)
            }
        }
        lastUpdate = now
        let (sum, overflow) = consumed.addingReportingOverflow(window)
        let newLimit = overflow ? Self.maxLimit : Swift.min(sum, Self.maxLimit)
        guard newLimit > limit else { return nil }
        limit = newLimit
        return newLimit
    }
}
