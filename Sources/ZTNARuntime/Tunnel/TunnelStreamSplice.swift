import NIOCore
import QUICCore
import QUICNIO
import Synchronization

/// Which end of the tunnel a splice runs on; decides which direction counts as *up* (towards the service).
enum TunnelSide: Sendable {
    /// The agent: the socket is the local application's, so socket → stream is up.
    case agent
    /// The connector: the socket is the backend's, so stream → socket is up.
    case connector
}

/// Copies a TCP byte stream both ways between a tunnel's QUIC stream and a TCP socket (DESIGN.md §4), with
/// real backpressure and TCP's half-close and reset semantics:
///
/// ```
///            socket.read() ──(≤ 64 KiB)──▶ stream.write()   suspends while QUIC flow control is exhausted;
///  TCP peer                                                 the socket is not read meanwhile, so the
///            socket.write() ◀──(≤ 64 KiB)── stream.read()    kernel's receive window closes on the TCP peer
///            returns once in the kernel; the stream is not read meanwhile, so QUIC stream credit stops
/// ```
///
/// - Each direction holds at most one chunk (`chunkSize`) between its read and the write that accepted it,
///   counted in `TunnelCounters.bytesInFlight`.
/// - Half-close: the stream's FIN shuts the socket's output (TCP FIN); the socket's FIN finishes the stream.
///   The other direction goes on until it ends too.
/// - Resets: a socket error or RST resets the stream (RESET_STREAM + STOP_SENDING, `TunnelErrorCode.tcpReset`,
///   RFC 9000 §19.4–§19.5); the peer's RESET_STREAM or STOP_SENDING, the connection closing, or cancellation
///   close the socket with RST (SO_LINGER 0).
/// - `run()` returns when both directions ended and the socket is closed.
struct TunnelStreamSplice: Sendable {
    /// The most bytes one direction holds at a time.
    static let chunkSize = TunnelSocket.maxReadSize

    /// How a splice ended.
    enum Outcome: Sendable, Hashable {
        /// Both directions ended with a FIN.
        case finished
        /// The TCP socket failed (RST or error); the stream was reset.
        case socketFailed
        /// The peer reset its sending half of the stream (RESET_STREAM) with this code.
        case streamReset(UInt64)
        /// The peer asked us to stop sending (STOP_SENDING) with this code.
        case streamStopped(UInt64)
        /// The tunnel connection closed.
        case connectionClosed
        /// The splice's task was cancelled.
        case cancelled
    }

    let stream: QUICNIOStream
    let socket: TunnelSocket
    let side: TunnelSide
    let counters: TunnelCounters

    // MARK: - Running

    /// Splices until both directions ended; then closes the socket.
    func run() async -> Outcome {
        let abort = SpliceAbort(stream: stream, socket: socket)
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await socketToStream(abort) }
                group.addTask { await streamToSocket(abort) }
            }
        } onCancel: {
            abort.abort(.cancelled, streamCode: TunnelErrorCode.aborted)
        }
        socket.close(reset: false)
        await socket.closed()
        return abort.outcome ?? .finished
    }

    // MARK: - Socket → stream

    private func socketToStream(_ abort: SpliceAbort) async {
        while true {
            switch await socket.read() {
            case .data(let buffer):
                let bytes = Array(buffer: buffer)
                counters.holdInFlight(bytes.count)
                counters.streamWriteStarted()
                let failure: QUICNIOError?
                do throws(QUICNIOError) {
                    try await stream.write(bytes)
                    failure = nil
                } catch {
                    failure = error
                }
                counters.streamWriteEnded()
                counters.releaseInFlight(bytes.count)
                if let failure {
                    abort.streamFailed(failure)
                    return
                }
                switch side {
                case .agent: counters.addBytesUp(bytes.count)
                case .connector: counters.addBytesDown(bytes.count)
                }
            case .end:
                // TCP FIN → stream FIN (RFC 9000 §3.1); the other direction continues.
                do throws(QUICNIOError) {
                    try await stream.finish()
                } catch {
                    abort.streamFailed(error)
                }
                return
            case .failed:
                abort.abort(.socketFailed, streamCode: TunnelErrorCode.tcpReset)
                return
            case .closed:
                return   // closed by an abort, which recorded the outcome
            }
        }
    }

    // MARK: - Stream → socket

    private func streamToSocket(_ abort: SpliceAbort) async {
        while true {
            let chunk: [UInt8]?
            do throws(QUICNIOError) {
                chunk = try await stream.read(maxBytes: Self.chunkSize)
            } catch {
                abort.streamFailed(error)
                return
            }
            guard let chunk else {
                // The peer's FIN (or our own STOP_SENDING from an abort): stream FIN → TCP FIN.
                if abort.outcome == nil { await socket.shutdownOutput() }
                return
            }
            counters.holdInFlight(chunk.count)
            counters.socketWriteStarted()
            var failed = false
            do {
                try await socket.write(chunk)
            } catch {
                failed = true
            }
            counters.socketWriteEnded()
            counters.releaseInFlight(chunk.count)
            if failed {
                abort.abort(.socketFailed, streamCode: TunnelErrorCode.tcpReset)
                return
            }
            switch side {
            case .agent: counters.addBytesDown(chunk.count)
            case .connector: counters.addBytesUp(chunk.count)
            }
        }
    }
}

// MARK: - Aborting

/// The first failure of either direction, and what it does to both sides: the stream is reset both ways and
/// the socket closed (with RST unless the socket itself failed), which wakes the other direction.
private final class SpliceAbort: Sendable {
    private let state = Mutex<TunnelStreamSplice.Outcome?>(nil)
    private let stream: QUICNIOStream
    private let socket: TunnelSocket

    init(stream: QUICNIOStream, socket: TunnelSocket) {
        self.stream = stream
        self.socket = socket
    }

    /// The failure that ended the splice, if one did.
    var outcome: TunnelStreamSplice.Outcome? { state.withLock { $0 } }

    /// Records `outcome` if it is the first, then resets the stream and closes the socket.
    func abort(_ outcome: TunnelStreamSplice.Outcome, streamCode: UInt64) {
        let first = state.withLock { current in
            guard current == nil else { return false }
            current = outcome
            return true
        }
        guard first else { return }
        stream.reset(errorCode: streamCode)
        stream.stopSending(errorCode: streamCode)
        // A socket that failed is closed already; every other cause tells the TCP peer with RST.
        socket.close(reset: outcome != .socketFailed)
    }

    /// A stream operation failed: map the QUIC cause to the outcome.
    func streamFailed(_ error: QUICNIOError) {
        switch error {
        case .stream(.reset(errorCode: let code)): abort(.streamReset(code), streamCode: code)
        case .streamStopped(errorCode: let code), .stream(.stopped(errorCode: let code)): abort(.streamStopped(code), streamCode: code)
        case .cancelled: abort(.cancelled, streamCode: TunnelErrorCode.aborted)
        case .connectionClosed, .endpointClosed: abort(.connectionClosed, streamCode: TunnelErrorCode.aborted)
        default: abort(.connectionClosed, streamCode: TunnelErrorCode.aborted)
        }
    }
}
