import NIOCore
import QUICCore
import ZTNASimulation

/// Helpers shared by the QUICPair scenarios.
extension QUICPair {
    /// Connects and drives until both sides are established; returns false if that never happens.
    mutating func establish(maxTime: TimeAmount = .seconds(10)) throws -> Bool {
        try connect()
        return drive(until: { $0.bothEstablished }, maxTime: maxTime)
    }

    /// Deterministic test bytes.
    static func pattern(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var state = UInt32(seed) &* 2_654_435_761
        for index in bytes.indices {
            state = state &* 1_103_515_245 &+ 12345
            bytes[index] = UInt8(truncatingIfNeeded: state >> 16)
        }
        return bytes
    }

    /// Sends `data` on a new client stream (with FIN) and drives until the server read all of it.
    /// Returns what the server read, or nil when the transfer did not finish.
    mutating func transferClientToServer(_ data: [UInt8], maxTime: TimeAmount = .seconds(600)) -> [UInt8]? {
        guard let stream = withClient({ connection, _ in try? connection.openStream() }) ?? nil else { return nil }
        var offset = 0
        var received: [UInt8] = []
        var finished = false
        let done = drive(until: { pair in
            if offset < data.count {
                let chunk = Array(data[offset..<min(data.count, offset + 256 * 1024)])
                let last = offset + chunk.count == data.count
                if let accepted = pair.withClient({ connection, _ in try? connection.write(chunk, to: stream, fin: last) }) ?? nil {
                    offset += accepted
                    if accepted < chunk.count && last {
                        // Partial write: FIN goes with the remainder later.
                    }
                }
            }
            if let result = pair.withServer({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
                received += result.bytes
                if result.fin { finished = true }
            }
            return finished
        }, maxTime: maxTime)
        return done ? received : nil
    }
}
