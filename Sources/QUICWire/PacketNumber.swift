// MARK: - PacketNumberSpace

/// The three packet number spaces of RFC 9000 §12.3; `rawValue` indexes per-space tables.
public enum PacketNumberSpace: Int, CaseIterable, Hashable, Sendable {
    /// Initial packets.
    case initial = 0
    /// Handshake packets.
    case handshake = 1
    /// 0-RTT and 1-RTT packets.
    case applicationData = 2
}

// MARK: - PacketNumberCoding

/// Packet number truncation and recovery (RFC 9000 §17.1, Appendix A.2 and A.3).
public enum PacketNumberCoding {
    /// The largest packet number QUIC allows (RFC 9000 §12.3: 0...2^62-1).
    public static let maxPacketNumber: UInt64 = (1 << 62) - 1

    /// Bytes (1...4) needed to send `full` given the largest packet number the peer acknowledged
    /// (nil: none yet).
    ///
    /// RFC 9000 §17.1 / Appendix A.2: the encoding must cover more than twice the number of
    /// unacknowledged packets, so the receiver's window (centred on its expected number) contains `full`.
    /// We count bits conservatively: bit length of the unacknowledged range, plus one sign bit.
    @inlinable
    public static func encodedLength(full: UInt64, largestAcknowledged: UInt64?) -> Int {
        let unacknowledged: UInt64
        if let largestAcknowledged {
            unacknowledged = full > largestAcknowledged ? full - largestAcknowledged : 1
        } else {
            unacknowledged = full &+ 1
        }
        let bits = (64 - unacknowledged.leadingZeroBitCount) + 1
        return Swift.min(Swift.max((bits + 7) / 8, 1), 4)
    }

    /// RFC 9000 Appendix A.3: the full packet number closest to the next expected one whose low
    /// `lengthInBytes` bytes equal `truncated`. `largestReceived` is the largest packet number
    /// successfully processed in this space (nil: none yet). Total for any input.
    @inlinable
    public static func decode(truncated: UInt64, lengthInBytes: Int, largestReceived: UInt64?) -> UInt64 {
        let byteCount = Swift.min(Swift.max(lengthInBytes, 1), 4)
        let expected = largestReceived.map { Swift.min($0, maxPacketNumber) + 1 } ?? 0
        let window: UInt64 = 1 << UInt64(byteCount * 8)
        let halfWindow = window / 2
        let mask = window - 1
        let candidate = (expected & ~mask) | (truncated & mask)
        // Both comparisons are written so that no subtraction can underflow: the RFC's pseudo-code
        // uses signed arithmetic, where `expected - halfWindow` may be negative.
        if expected >= halfWindow, candidate <= expected - halfWindow, candidate < (1 << 62) - window {
            return candidate + window
        }
        if candidate > expected + halfWindow, candidate >= window {
            return candidate - window
        }
        return candidate
    }
}
