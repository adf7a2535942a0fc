import QUICCore

extension QUICNIOConnection {
    // MARK: - Echo service

    /// Echoes everything the peer sends until the connection closes: every stream the peer opens (its bytes
    /// back on the same stream, our FIN after the peer's FIN) and every DATAGRAM (RFC 9221). Used by
    /// `ztna quic server --echo` and interop tests.
    public func runEcho() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await datagram in self.datagrams {
                    // A datagram that cannot be echoed (too large for our path) is lost, as datagrams may be.
                    try? await self.send(datagram: datagram)
                }
            }
            group.addTask {
                await withDiscardingTaskGroup { streams in
                    for await stream in self.incomingStreams {
                        streams.addTask { await Self.echo(stream) }
                    }
                }
            }
        }
    }

    /// Copies a stream's bytes back to it, then finishes it after the peer's FIN.
    static func echo(_ stream: QUICNIOStream) async {
        do {
            while let bytes = try await stream.read() {
                try await stream.write(bytes)
            }
            try await stream.finish()
        } catch .stream(.notWritable) {
            // The peer's unidirectional stream: there is nothing to echo it on; it was read to the end.
        } catch .stream(.reset(errorCode: let code)) {
            // RFC 9000 §3.5-style mirror: the peer abandoned its side, abandon ours with the same code.
            stream.reset(errorCode: code)
        } catch {
            stream.reset(errorCode: 0)
        }
    }
}

extension QUICNIOConnection {
    // MARK: - Discard service

    /// Reads and discards everything the peer sends until the connection closes, finishing each of the peer's
    /// bidirectional streams after its FIN (a sink for handshake and throughput tests).
    public func runDiscard() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in self.datagrams {}
            }
            group.addTask {
                await withDiscardingTaskGroup { streams in
                    for await stream in self.incomingStreams {
                        streams.addTask {
                            do {
                                while try await stream.read() != nil {}
                                try await stream.finish()
                            } catch {
                                stream.stopSending(errorCode: 0)
                            }
                        }
                    }
                }
            }
        }
    }
}
