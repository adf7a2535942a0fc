import NIOCore
import QUICCore
import QUICNIO
import Testing

@Suite("QUICNIOStream")
struct QUICNIOStreamTests {
    /// 1 MB echoed byte-exact, with and without UDP segmentation offload on both sides.
    @Test(arguments: [true, false])
    func oneMegabyteIsEchoedByteExact(segmentationOffload: Bool) async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        var options = QUICNIOOptions()
        options.segmentationOffload = segmentationOffload
        let server = try await setup.startEchoServer(options: options)
        let configuration = try setup.clientConfiguration()
        let payload = testBytes(count: 1_000_000)
        let clientOptions = options
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration, options: clientOptions)
            let stream = try await connection.openStream(bidirectional: true)
            let reader = Task { try await stream.readAll() }
            try await stream.write(payload, finish: true)
            let received = try await reader.value
            #expect(received.count == payload.count)
            #expect(received == payload)
            await connection.close()
        }
        if !segmentationOffload {
            #expect(await server.endpoint.usesSegmentationOffload == false)
        }
        await server.close()
    }

    /// A send buffer far smaller than the data: `write` must wait for `.streamWritable` many times.
    @Test func writeWaitsForSendBufferSpace() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer { $0.streamSendBufferLimit = 16 * 1024 }
        let configuration = try setup.clientConfiguration { $0.streamSendBufferLimit = 8 * 1024 }
        let payload = testBytes(count: 300_000, seed: 3)
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            let stream = try await connection.openStream()
            let reader = Task { try await stream.readAll() }
            try await stream.write(payload)   // one call, ~37 buffer-fulls
            try await stream.finish()
            #expect(try await reader.value == payload)
            await connection.close()
        }
        await server.close()
    }

    @Test func peerResetAndStopSendingReachTheOtherSide() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await QUICServer.bind(port: 0, configuration: try setup.serverEndpointConfiguration())
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            async let accepted = server.connections.first { _ in true }
            let client = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                      configuration: configuration)
            let serverSide = try #require(await accepted)
            var incoming = serverSide.incomingStreams.makeAsyncIterator()

            // RESET_STREAM: the server's read fails with the client's code.
            let first = try await client.openStream()
            try await first.write([1, 2, 3])
            let firstOnServer = try #require(await incoming.next())
            #expect(firstOnServer.id == first.id)
            #expect(try await firstOnServer.read() == [1, 2, 3])
            first.reset(errorCode: 0x11)
            do throws(QUICNIOError) {
                _ = try await firstOnServer.read()
                Issue.record("read after RESET_STREAM succeeded")
            } catch {
                guard case .stream(.reset(errorCode: 0x11)) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
            }

            // STOP_SENDING: the client's writes fail with the server's code.
            let second = try await client.openStream()
            try await second.write([4])
            let secondOnServer = try #require(await incoming.next())
            #expect(try await secondOnServer.read() == [4])
            secondOnServer.stopSending(errorCode: 0x22)
            #expect(try await secondOnServer.read() == nil)   // our reads end after STOP_SENDING
            var stopped = false
            for _ in 0..<10_000 where !stopped {
                do throws(QUICNIOError) {
                    try await second.write(testBytes(count: 1_000))
                    // Writes succeed until the STOP_SENDING arrives; a round trip through the client's event
                    // loop lets it process incoming packets before the next attempt.
                    _ = await client.statistics
                } catch {
                    guard case .streamStopped(errorCode: 0x22) = error else {
                        Issue.record("unexpected error \(error)")
                        return
                    }
                    stopped = true
                }
            }
            #expect(stopped)
            await client.close()
        }
        await server.close()
    }

    @Test func unidirectionalStreamsOnlySendFromTheirInitiator() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await QUICServer.bind(port: 0, configuration: try setup.serverEndpointConfiguration())
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            async let accepted = server.connections.first { _ in true }
            let client = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                      configuration: configuration)
            let serverSide = try #require(await accepted)
            let stream = try await client.openStream(bidirectional: false)
            do throws(QUICNIOError) {
                _ = try await stream.read()
                Issue.record("read on our own unidirectional stream")
            } catch {
                guard case .stream(.notReadable) = error else { Issue.record("unexpected \(error)"); return }
            }
            try await stream.write(Array("one way".utf8), finish: true)
            var incoming = serverSide.incomingStreams.makeAsyncIterator()
            let onServer = try #require(await incoming.next())
            #expect(try await onServer.readAll() == Array("one way".utf8))
            do throws(QUICNIOError) {
                try await onServer.write([1])
                Issue.record("wrote on the peer's unidirectional stream")
            } catch {
                guard case .stream(.notWritable) = error else { Issue.record("unexpected \(error)"); return }
            }
            await client.close()
        }
        await server.close()
    }

    @Test func cancellingAWaitingReadEndsIt() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            let stream = try await connection.openStream()
            let reader = Task { try await stream.read() }
            reader.cancel()
            do {
                _ = try await reader.value
                Issue.record("a read of a silent stream returned")
            } catch let error as QUICNIOError {
                guard case .cancelled = error else { Issue.record("unexpected \(error)"); return }
            }
            // The stream is usable afterwards: the cancelled read left no waiter behind.
            try await stream.write([9, 8, 7], finish: true)
            #expect(try await stream.readAll() == [9, 8, 7])
            await connection.close()
        }
        await server.close()
    }

    @Test func concurrentReadsAreRefused() async throws {
        let setup = try TestSetup()
        defer { setup.remove() }
        let server = try await setup.startEchoServer()
        let configuration = try setup.clientConfiguration()
        try await withTimeout {
            let connection = try await QUICClient.connect(to: server.localAddress, serverName: "localhost",
                                                          configuration: configuration)
            let stream = try await connection.openStream()
            // Two readers: whichever registers second is refused at once, the other gets the data.
            let readers = [Task { try await stream.read() }, Task { try await stream.read() }]
            var refusals = 0
            let outcomes = await withTaskGroup(of: Result<[UInt8]?, any Error>.self) { group in
                for reader in readers {
                    group.addTask { await reader.result }
                }
                var results: [Result<[UInt8]?, any Error>] = []
                for await outcome in group {
                    results.append(outcome)
                    if results.count == 1 {
                        // The first to finish is the refused one; now let the other read complete.
                        try? await stream.write([5], finish: true)
                    }
                }
                return results
            }
            for result in outcomes {
                switch result {
                case .failure(let error as QUICNIOError):
                    if case .operationInProgress = error { refusals += 1 } else { Issue.record("unexpected \(error)") }
                case .failure(let error):
                    Issue.record("unexpected \(error)")
                case .success(let bytes):
                    #expect(bytes == [5])
                }
            }
            #expect(refusals == 1)
            await connection.close()
        }
        await server.close()
    }
}
