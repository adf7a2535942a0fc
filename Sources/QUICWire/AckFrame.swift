// MARK: - AckFrame

/// An ACK frame (RFC 9000 §19.3) as acknowledged ranges rather than the wire's gap/length pairs.
///
/// ```
/// ACK Frame {
///   Type (i) = 0x02..0x03, Largest Acknowledged (i), ACK Delay (i),
///   ACK Range Count (i), First ACK Range (i), ACK Range (..) ..., [ECN Counts (..)]
/// }
/// ACK Range { Gap (i), ACK Range Length (i) }
/// ```
public struct AckFrame: Hashable, Sendable {
    /// Acknowledged ranges, largest first, disjoint and non-adjacent, e.g. `[10...12, 5...7]`.
    /// Never empty in a parsed frame; must not be empty when encoding.
    public var ranges: [ClosedRange<UInt64>]
    /// The encoded ACK Delay: microseconds scaled down by 2^ack_delay_exponent (RFC 9000 §19.3).
    public var ackDelay: UInt64
    /// ECN counts; present means frame type 0x03.
    public var ecnCounts: ECNCounts?

    /// The largest packet number acknowledged (0 if `ranges` is empty).
    @inlinable
    public var largestAcknowledged: UInt64 { ranges.first?.upperBound ?? 0 }

    /// Creates an ACK frame; `ranges` must be largest first, disjoint and non-adjacent.
    public init(ranges: [ClosedRange<UInt64>], ackDelay: UInt64, ecnCounts: ECNCounts? = nil) {
        self.ranges = ranges
        self.ackDelay = ackDelay
        self.ecnCounts = ecnCounts
    }

    /// Whether `packetNumber` falls in one of the ranges.
    public func contains(_ packetNumber: UInt64) -> Bool {
        ranges.contains { $0.contains(packetNumber) }
    }
}

// MARK: - ECNCounts

/// The ECN counts of an ACK frame of type 0x03 (RFC 9000 §19.3.2).
public struct ECNCounts: Hashable, Sendable {
    /// Packets received with the ECT(0) codepoint.
    public var ect0: UInt64
    /// Packets received with the ECT(1) codepoint.
    public var ect1: UInt64
    /// Packets received with the ECN-CE codepoint.
    public var ce: UInt64

    /// Creates ECN counts.
    public init(ect0: UInt64, ect1: UInt64, ce: UInt64) {
        self.ect0 = ect0
        self.ect1 = ect1
        self.ce = ce
    }
}

// MARK: - Wire format

extension AckFrame {
    /// Parses the fields after the type (RFC 9000 §19.3). Ranges are checked not to underflow zero, and
    /// the range count is checked against the bytes that could hold the ranges before allocating.
    static func parse(from reader: inout ByteReader, withECN: Bool) throws(QUICWireError) -> AckFrame {
        let largest = try reader.readVarInt()
        let ackDelay = try reader.readVarInt()
        let rangeCount = try reader.readVarInt()
        let firstRange = try reader.readVarInt()
        guard firstRange <= largest else {
            throw QUICWireError(.frameEncodingError, "first ACK range underflows packet number 0")
        }
        // Each further range is two varints, so at least two bytes (RFC 9000 §19.3.1).
        guard rangeCount <= UInt64(reader.remaining / 2) else {
            throw QUICWireError(.frameEncodingError, "ACK range count \(rangeCount) exceeds the frame")
        }
        var ranges: [ClosedRange<UInt64>] = []
        ranges.reserveCapacity(Int(rangeCount) + 1)
        var smallest = largest - firstRange
        ranges.append(smallest...largest)
        for _ in 0..<rangeCount {
            let gap = try reader.readVarInt()
            let length = try reader.readVarInt()
            // RFC 9000 §19.3.1: largest = previous smallest - gap - 2; smallest = largest - length.
            guard smallest >= 2, gap <= smallest - 2 else {
                throw QUICWireError(.frameEncodingError, "ACK gap underflows packet number 0")
            }
            let high = smallest - 2 - gap
            guard length <= high else {
                throw QUICWireError(.frameEncodingError, "ACK range underflows packet number 0")
            }
            smallest = high - length
            ranges.append(smallest...high)
        }
        var ecnCounts: ECNCounts?
        if withECN {
            ecnCounts = ECNCounts(ect0: try reader.readVarInt(), ect1: try reader.readVarInt(), ce: try reader.readVarInt())
        }
        return AckFrame(ranges: ranges, ackDelay: ackDelay, ecnCounts: ecnCounts)
    }

    /// Appends the whole frame, type included.
    func encode(into buffer: inout [UInt8]) {
        precondition(!ranges.isEmpty, "an ACK frame needs at least one range")
        buffer.appendVarInt(ecnCounts == nil ? FrameType.ack : FrameType.ackECN)
        let first = ranges[0]
        buffer.appendVarInt(first.upperBound)
        buffer.appendVarInt(ackDelay)
        buffer.appendVarInt(UInt64(ranges.count - 1))
        buffer.appendVarInt(first.upperBound - first.lowerBound)
        var previousSmallest = first.lowerBound
        for range in ranges.dropFirst() {
            precondition(range.upperBound + 2 <= previousSmallest, "ACK ranges must be descending and non-adjacent")
            buffer.appendVarInt(previousSmallest - range.upperBound - 2)
            buffer.appendVarInt(range.upperBound - range.lowerBound)
            previousSmallest = range.lowerBound
        }
        if let ecn = ecnCounts {
            buffer.appendVarInt(ecn.ect0)
            buffer.appendVarInt(ecn.ect1)
            buffer.appendVarInt(ecn.ce)
        }
    }

    /// The bytes `encode` appends.
    var wireLength: Int {
        guard let first = ranges.first else { return 0 }
        var length = 1 + VarInt.encodedLength(of: first.upperBound) + VarInt.encodedLength(of: ackDelay)
            + VarInt.encodedLength(of: UInt64(ranges.count - 1))
            + VarInt.encodedLength(of: first.upperBound - first.lowerBound)
        var previousSmallest = first.lowerBound
        for range in ranges.dropFirst() {
            length += VarInt.encodedLength(of: previousSmallest &- range.upperBound &- 2)
            length += VarInt.encodedLength(of: range.upperBound - range.lowerBound)
            previousSmallest = range.lowerBound
        }
        if let ecn = ecnCounts {
            length += VarInt.encodedLength(of: ecn.ect0) + VarInt.encodedLength(of: ecn.ect1)
                + VarInt.encodedLength(of: ecn.ce)
        }
        return length
    }
}
