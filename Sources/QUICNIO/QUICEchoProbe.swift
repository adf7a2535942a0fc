public import NIOCore
public import QUICCore

/// Connects to an echo server (`ztna quic server --echo`, or any peer echoing streams and DATAGRAMs), sends
/// numbered DATAGRAMs and/or one stream of bytes, and verifies what comes back. `ztna quic client` is this
/// probe plus flag parsing.
///
/// DATAGRAMs are unreliable (RFC 9221 §5) and never retransmitted: the probe counts what was echoed
/// intact, and requires every one when it sent at most 100 (loopback loses none), at least 95 % otherwise.
public struct QUICEchoProbe: Sendable {
    /// DATAGRAMs to send.
    public var datagramCount: Int = 0
    /// Bytes per DATAGRAM (at least 4: the sequence number).
    public var datagramSize: Int = 0
    /// Bytes to send on one bidirectional stream, FIN after them.
    public var streamBytes: Int = 0
    /// Start a 1-RTT key update (RFC 9001 §6) before the exchange, so it runs under the next keys.
    public var keyUpdate = false
    /// The whole exchange, handshake included, must finish within this time.
    public var timeout: Duration = .seconds(10)
    /// Once every DATAGRAM was sent and some echoes are still missing: how long without a new echo before
    /// the rest count as lost.
    public var datagramGracePeriod: Duration = .seconds(2)

    public init(datagramCount: Int = 0, datagramSize: Int = 0, streamBytes: Int = 0, timeout: Duration = .seconds(10)) {
        self.datagramCount = datagramCount
        self.datagramSize = datagramSize
        self.streamBytes = streamBytes
        self.timeout = timeout
    }

    // MARK: - Payloads

    /// DATAGRAM `sequence`: the sequence number (big-endian, 4 bytes), then a pattern derived from it.
    public static func datagramPayload(sequence: UInt32, size: Int) -> [UInt8] {
        var payload: [UInt8] = []
        payload.reserveCapacity(max(size, 4))
        withUnsafeBytes(of: sequence.bigEndian) { payload.append(contentsOf: $0) }
        var index = 4
        while index < size {
            payload.append(UInt8(truncatingIfNeeded: Int(sequence) &* 31 &+ index))
            index += 1
        }
        return payload
    }

    /// The stream byte at `offset`: not periodic at any power-of-two, so shifted or reordered data shows.
    public static func streamByte(at offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (offset &* 2_654_435_761) >> 13)
    }

    // MARK: - Running

    /// Connects, runs the exchange, closes the connection and reports. Never throws: failures are in the report.
    public func run(to address: SocketAddress, serverName: String?, configuration: QUICConfiguration,
                    endpoint: QUICNIOEndpoint? = nil) async -> QUICEchoProbeReport {
        enum Outcome: Sendable {
            case exchange(QUICEchoProbeReport)
            case timer(fired: Bool)
        }
        let timeout = self.timeout
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                .exchange(await self.exchange(address: address, serverName: serverName,
                                              configuration: configuration, endpoint: endpoint))
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timer(fired: true)
                } catch {
                    return .timer(fired: false)
                }
            }
            var report = QUICEchoProbeReport()
            var timedOut = false
            for await outcome in group {
                switch outcome {
                case .exchange(let result):
                    report = result
                    group.cancelAll()
                case .timer(let fired):
                    if fired {
                        timedOut = true
                        group.cancelAll()   // the exchange stops at its next suspension and reports
                    }
                }
            }
            if timedOut { report.error = "timed out after \(timeout)" }
            report.ok = report.error == nil && isVerified(report)
            return report
        }
    }

    /// Whether the echoed counts meet the requirement.
    func isVerified(_ report: QUICEchoProbeReport) -> Bool {
        guard report.datagramsMismatched == 0, report.streamBytesEchoed == report.streamBytesSent,
              report.streamBytesSent == streamBytes, report.datagramsSent == datagramCount else { return false }
        if datagramCount <= 100 { return report.datagramsEchoed == datagramCount }
        return report.datagramsEchoed * 100 >= datagramCount * 95
    }

    private func exchange(address: SocketAddress, serverName: String?, configuration: QUICConfiguration,
                          endpoint: QUICNIOEndpoint?) async -> QUICEchoProbeReport {
        var report = QUICEchoProbeReport()
        let clock = ContinuousClock()
        let start = clock.now
        let connection: QUICNIOConnection
        do {
            connection = try await QUICClient.connect(to: address, serverName: serverName,
                                                      configuration: configuration, endpoint: endpoint)
        } catch {
            report.error = "handshake failed: \(error)"
            return report
        }
        let elapsed = clock.now - start
        report.handshakeMilliseconds = Double(elapsed.components.seconds) * 1000
            + Double(elapsed.components.attoseconds) / 1e15
        report.alpn = connection.negotiatedALPN
        report.cipher = connection.negotiatedCipherSuite.map(Self.cipherName)
        report.group = connection.negotiatedGroup

        if keyUpdate {
            // A round trip first, so the server has accepted us; the update itself waits, if it must, for
            // confirmation and an acknowledged packet of the current phase (RFC 9001 §6.1).
            await confirmAcceptance(on: connection, into: &report)
            if report.error == nil {
                if await connection.requestKeyUpdate() {
                    report.keyUpdates = 1
                } else {
                    report.error = "the connection closed before the key update could start"
                }
            }
        }
        if report.error == nil, datagramCount > 0 {
            await exchangeDatagrams(on: connection, into: &report)
        }
        if report.error == nil, streamBytes > 0 {
            await exchangeStream(on: connection, into: &report)
        }
        if report.error == nil, datagramCount == 0, streamBytes == 0, !keyUpdate {
            await confirmAcceptance(on: connection, into: &report)
        }
        await connection.close(errorCode: 0, reason: report.error == nil ? "" : "probe failed")
        if report.error == nil, case .peer(let error) = await connection.closed {
            // The server closed first (for instance rejecting our certificate after our handshake completed).
            report.error = "closed by peer: \(error)"
        }
        return report
    }

    // MARK: - DATAGRAMs

    private func exchangeDatagrams(on connection: QUICNIOConnection, into report: inout QUICEchoProbeReport) async {
        let count = datagramCount
        let size = datagramSize
        guard size >= 4 else {
            report.error = "datagram size \(size) is below 4 bytes (the sequence number)"
            return
        }
        guard let maximum = await connection.maxDatagramPayload else {
            report.error = "the server does not accept DATAGRAM frames"
            return
        }
        guard size <= maximum else {
            report.error = "datagram size \(size) exceeds the connection's maximum of \(maximum) bytes"
            return
        }
        enum Part: Sendable {
            case sent(Int, String?)
            case received(echoed: Int, mismatched: Int)
            case quiet
        }
        let grace = datagramGracePeriod
        let progress = EchoProgress()
        await withTaskGroup(of: Part.self) { group in
            group.addTask {
                var echoed = Set<UInt32>()
                var mismatched = 0
                for await datagram in connection.datagrams {
                    let sequence = datagram.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    if datagram.count == size, Int(sequence) < count, !echoed.contains(sequence),
                       datagram == Self.datagramPayload(sequence: sequence, size: size) {
                        echoed.insert(sequence)
                        await progress.record(echoed: echoed.count, mismatched: mismatched)
                        if echoed.count == count { break }
                    } else {
                        mismatched += 1
                        await progress.record(echoed: echoed.count, mismatched: mismatched)
                    }
                }
                return .received(echoed: echoed.count, mismatched: mismatched)
            }
            group.addTask {
                var sent = 0
                for sequence in 0..<count {
                    do {
                        try await connection.send(datagram: Self.datagramPayload(sequence: UInt32(sequence), size: size))
                    } catch {
                        return .sent(sent, "sending datagram \(sequence) failed: \(error)")
                    }
                    if Task.isCancelled { break }
                    sent += 1
                }
                return .sent(sent, nil)
            }
            for await part in group {
                switch part {
                case .sent(let sent, let error):
                    report.datagramsSent = sent
                    if let error {
                        report.error = error
                        group.cancelAll()
                    } else {
                        // Datagrams are unreliable: wait for echoes until none arrived for the grace period
                        // (not a fixed time after the last send, which a loaded machine can overrun).
                        await progress.markQuiet()
                        group.addTask {
                            while !Task.isCancelled {
                                try? await Task.sleep(for: .milliseconds(50))
                                if await progress.quietFor(atLeast: grace) { return .quiet }
                            }
                            return .quiet
                        }
                    }
                case .received(let echoed, let mismatched):
                    report.datagramsEchoed = echoed
                    report.datagramsMismatched = mismatched
                    group.cancelAll()
                case .quiet:
                    let (echoed, mismatched) = await progress.counts
                    report.datagramsEchoed = echoed
                    report.datagramsMismatched = mismatched
                    group.cancelAll()
                }
            }
        }
    }

    // MARK: - Stream

    /// A handshake-only run still needs one round trip: in TLS 1.3 the client's handshake completes before
    /// the server has checked the client's certificate (RFC 8446 §4.4.2), so a refusal arrives later. An empty
    /// stream whose FIN the echo server returns proves the server accepted the connection.
    private func confirmAcceptance(on connection: QUICNIOConnection, into report: inout QUICEchoProbeReport) async {
        do {
            let stream = try await connection.openStream(bidirectional: true)
            try await stream.finish()
            while try await stream.read() != nil {}
        } catch {
            report.error = "the server did not accept the connection: \(error)"
        }
    }

    private func exchangeStream(on connection: QUICNIOConnection, into report: inout QUICEchoProbeReport) async {
        let stream: QUICNIOStream
        do {
            stream = try await connection.openStream(bidirectional: true)
        } catch {
            report.error = "cannot open a stream: \(error)"
            return
        }
        let total = streamBytes
        enum Part: Sendable {
            case wrote(Int, String?)
            case read(Int, String?)
        }
        await withTaskGroup(of: Part.self) { group in
            group.addTask {
                var offset = 0
                let chunkSize = 64 * 1024
                do {
                    while offset < total {
                        let end = min(total, offset + chunkSize)
                        try await stream.write((offset..<end).map(Self.streamByte(at:)), finish: end == total)
                        offset = end
                    }
                    if total == 0 { try await stream.finish() }
                } catch {
                    return .wrote(offset, "stream write failed: \(error)")
                }
                return .wrote(offset, nil)
            }
            group.addTask {
                var offset = 0
                do {
                    while let bytes = try await stream.read() {
                        for byte in bytes {
                            guard byte == Self.streamByte(at: offset) else {
                                return .read(offset, "echoed stream differs at byte \(offset)")
                            }
                            offset += 1
                        }
                    }
                } catch {
                    return .read(offset, "stream read failed: \(error)")
                }
                return .read(offset, offset == total ? nil : "echoed stream ended after \(offset) of \(total) bytes")
            }
            for await part in group {
                switch part {
                case .wrote(let count, let error):
                    report.streamBytesSent = count
                    if let error, report.error == nil { report.error = error }
                case .read(let count, let error):
                    report.streamBytesEchoed = count
                    if let error, report.error == nil {
                        report.error = error
                        group.cancelAll()
                    }
                }
            }
        }
    }

    /// The IANA name of a TLS 1.3 cipher suite (RFC 8446 §B.4).
    public static func cipherName(_ suite: UInt16) -> String {
        switch suite {
        case 0x1301: return "TLS_AES_128_GCM_SHA256"
        case 0x1302: return "TLS_AES_256_GCM_SHA384"
        case 0x1303: return "TLS_CHACHA20_POLY1305_SHA256"
        default: return "0x" + String(suite, radix: 16)
        }
    }
}

/// Echo progress shared by the probe's receiving task and its quiet-period watchdog.
private actor EchoProgress {
    private(set) var counts = (echoed: 0, mismatched: 0)
    private var lastChange = ContinuousClock.now

    func record(echoed: Int, mismatched: Int) {
        counts = (echoed, mismatched)
        lastChange = .now
    }

    func markQuiet() { lastChange = .now }

    func quietFor(atLeast duration: Duration) -> Bool {
        ContinuousClock.now - lastChange >= duration
    }
}
