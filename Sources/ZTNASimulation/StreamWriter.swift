public import QUICCore

extension QUICPair {
    /// Deterministic test bytes.
    public static func pattern(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var state = UInt32(seed) &* 2_654_435_761
        for index in bytes.indices {
            state = state &* 1_103_515_245 &+ 12345
            bytes[index] = UInt8(truncatingIfNeeded: state >> 16)
        }
        return bytes
    }
}

/// Writes a buffer to a stream as flow control and the send buffer allow. After a partial write it waits
/// for `.streamWritable` instead of offering (and copying) the rest again on every step.
public struct StreamWriter: Sendable {
    public let data: [UInt8]
    public let stream: StreamID
    public let side: QUICPair.Side
    public private(set) var offset = 0
    var blocked = false
    var eventsSeen = 0

    public init(data: [UInt8], stream: StreamID, side: QUICPair.Side) {
        self.data = data
        self.stream = stream
        self.side = side
    }

    public mutating func pump(_ pair: inout QUICPair) {
        let events = side == .client ? pair.clientEvents : pair.serverEvents
        if blocked, events[eventsSeen...].contains(.streamWritable(stream)) { blocked = false }
        eventsSeen = events.count
        guard !blocked, offset < data.count else { return }
        let chunk = Array(data[offset..<min(data.count, offset + 256 * 1024)])
        let last = offset + chunk.count == data.count
        let stream = self.stream
        let accepted: Int
        if side == .client {
            accepted = (pair.withClient { connection, _ in try? connection.write(chunk, to: stream, fin: last) } ?? nil) ?? 0
        } else {
            accepted = (pair.withServer { connection, _ in try? connection.write(chunk, to: stream, fin: last) } ?? nil) ?? 0
        }
        offset += accepted
        if accepted < chunk.count { blocked = true }
    }
}

