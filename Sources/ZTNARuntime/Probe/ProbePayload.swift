/// The UDP payload of one probe packet:
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 sequence number (64 bits, big-endian)         |
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 pattern bytes (size − 8) …                    |
/// ```
///
/// The sequence number identifies the packet a reply answers (send time, expected size and bytes); the
/// pattern (`ProbePattern`) makes any change on the way visible.
public struct ProbePayload: Sendable, Hashable {
    /// The sequence number's length: the smallest payload a probe sends.
    public static let headerLength = 8

    public let pattern: ProbePattern
    /// The run's seed for `.random` (ignored by the other patterns).
    public let seed: UInt64

    public init(pattern: ProbePattern, seed: UInt64 = 0) {
        self.pattern = pattern
        self.seed = seed
    }

    // MARK: - Building

    /// The payload of packet `sequence`, `size` bytes (at least `headerLength`; smaller sizes get the whole
    /// header anyway, so the result is `max(size, headerLength)` bytes).
    public func make(sequence: UInt64, size: Int) -> [UInt8] {
        let count = max(size, Self.headerLength)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var shift: UInt64 = 56
            for index in 0..<Self.headerLength {
                raw[index] = UInt8(truncatingIfNeeded: sequence >> shift)
                shift &-= 8
            }
            pattern.fill(UnsafeMutableRawBufferPointer(rebasing: raw[Self.headerLength...]), sequence: sequence, seed: seed)
            initialized = count
        }
    }

    // MARK: - Reading replies (peer bytes: total, never traps)

    /// The sequence number a payload carries; nil when it is shorter than the header.
    public static func sequence(of payload: ArraySlice<UInt8>) -> UInt64? {
        guard payload.count >= headerLength else { return nil }
        var value: UInt64 = 0
        for byte in payload.prefix(headerLength) { value = value << 8 | UInt64(byte) }
        return value
    }

    /// Whether `payload` is exactly what `make(sequence:size:)` produced.
    public func matches(_ payload: ArraySlice<UInt8>, sequence: UInt64, size: Int) -> Bool {
        guard payload.count == max(size, Self.headerLength), Self.sequence(of: payload) == sequence else { return false }
        return pattern.matches(payload.dropFirst(Self.headerLength), sequence: sequence, seed: seed)
    }
}
