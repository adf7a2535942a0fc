import NIOCore
import QUICCore
import ZTNASimulation

/// Helpers shared by the QUICPair scenarios.
extension QUICPair {
    /// Connects and drives until both sides are established and the client saw HANDSHAKE_DONE; returns
    /// false if that never happens.
    mutating func establish(maxTime: TimeAmount = .seconds(10)) throws -> Bool {
        try connect()
        return drive(until: { $0.bothEstablished && $0.clientConnection?.isHandshakeConfirmed == true },
                     maxTime: maxTime)
    }

    /// Sends `data` on a new client stream (with FIN) and drives until the server read all of it.
    /// Returns what the server read, or nil when the transfer did not finish.
    mutating func transferClientToServer(_ data: [UInt8], maxTime: TimeAmount = .seconds(600)) -> [UInt8]? {
        guard let stream = withClient({ connection, _ in try? connection.openStream() }) ?? nil else { return nil }
        var writer = StreamWriter(data: data, stream: stream, side: .client)
        var received: [UInt8] = []
        var finished = false
        let done = drive(until: { pair in
            writer.pump(&pair)
            if let result = pair.withServer({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
                received += result.bytes
                if result.fin { finished = true }
            }
            return finished
        }, maxTime: maxTime)
        return done ? received : nil
    }
}

/// Data flowing both ways at once: the client sends `upload` on its stream, the server `download` on its own.
struct BidirectionalTransfer {
    let upload: [UInt8]
    let download: [UInt8]
    var clientStream: StreamID?
    var serverStream: StreamID?
    var uploader: StreamWriter?
    var downloader: StreamWriter?
    var receivedByServer: [UInt8] = []
    var receivedByClient: [UInt8] = []
    var serverDone = false, clientDone = false

    init(bytes: Int) {
        upload = QUICPair.pattern(bytes, seed: 21)
        download = QUICPair.pattern(bytes, seed: 22)
    }

    var finished: Bool { serverDone && clientDone }
    var intact: Bool { receivedByServer == upload && receivedByClient == download }

    /// One round of writing and reading on both sides.
    mutating func pump(_ pair: inout QUICPair) {
        if clientStream == nil {
            clientStream = pair.withClient { connection, _ in try? connection.openStream() } ?? nil
            if let stream = clientStream { uploader = StreamWriter(data: upload, stream: stream, side: .client) }
        }
        if serverStream == nil {
            serverStream = pair.withServer { connection, _ in try? connection.openStream() } ?? nil
            if let stream = serverStream { downloader = StreamWriter(data: download, stream: stream, side: .server) }
        }
        uploader?.pump(&pair)
        downloader?.pump(&pair)
        if let stream = clientStream, !serverDone,
           let result = pair.withServer({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
            receivedByServer += result.bytes
            serverDone = result.fin
        }
        if let stream = serverStream, !clientDone,
           let result = pair.withClient({ connection, now in try? connection.read(from: stream, now: now) }) ?? nil {
            receivedByClient += result.bytes
            clientDone = result.fin
        }
    }
}
