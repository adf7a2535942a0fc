import IPPacket

/// Deterministic generator for tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Hex text (whitespace ignored) to bytes; test-only, traps on bad input.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// A deliberately naive RFC 1071 reference: big-endian 16-bit words, one at a time.
func referenceChecksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var i = 0
    while i + 1 < bytes.count {
        sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
        i += 2
    }
    if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
}

/// Packets captured from Linux 6.x through a TUN device (10.201.0.1 → 10.201.0.2, MTU 1280).
enum LinuxCaptures {
    /// `connect()` SYN: MSS 1240, SACK permitted, timestamps, window scale 10.
    static let syn = hex("""
        4500003c35f640004006ef310ac900010ac9000299f81f90e86e014c00000000a002fbe068320000\
        020404d80402080aaeee7cff000000000103030a
        """)
    /// `sendto(b"hello")` to port 53.
    static let udp = hex("45000021eb31400040113a060ac900010ac90002b84c0035000dedeb68656c6c6f")
}
