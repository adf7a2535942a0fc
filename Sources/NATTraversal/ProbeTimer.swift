import NIOCore

// MARK: - ProbeTimer

/// The retransmission schedule of one path probe, shared by both roles (DESIGN.md §6): the first
/// transmission, then retransmissions after 100, 200, 400 and 800 ms, and a final wait of 1.6 s after the
/// fifth before the probe fails — RFC 8445 §14.3's doubling RTO, with the counts of DESIGN.md §6.
struct ProbeTimer: Hashable, Sendable {
    /// Transmissions so far, the first included.
    private(set) var transmissions: Int
    /// When the next retransmission (or, after the last one, the failure) is due.
    private(set) var deadline: NIODeadline

    enum Expiry: Hashable {
        case retransmit
        case failed
    }

    /// Starts the schedule with the first transmission at `now`.
    init(now: NIODeadline, configuration: TraversalConfiguration) {
        transmissions = 1
        deadline = now + configuration.retransmitTimeout(afterTransmission: 1)
    }

    /// Call when `now >= deadline`: either the probe should be sent again (and the timer advanced), or the
    /// probe has had all its transmissions and failed.
    mutating func expire(now: NIODeadline, configuration: TraversalConfiguration) -> Expiry {
        guard transmissions < max(configuration.transmissionsPerPair, 1) else { return .failed }
        transmissions += 1
        // Measured from the due time, not `now`, so a late timer does not stretch the schedule.
        deadline = deadline + configuration.retransmitTimeout(afterTransmission: transmissions)
        return .retransmit
    }
}
