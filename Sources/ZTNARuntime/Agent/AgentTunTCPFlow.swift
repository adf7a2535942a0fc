#if os(Linux)
import Logging
import NIOCore
import QUICCore
import QUICNIO
import UserspaceTCP
import ZTNAProtocol

/// One TCP connection of an application to a virtual IP, carried on a tunnel stream (DESIGN.md §4):
/// SYN → open a stream, send `TCP_CONNECT port`, wait for the status → SYN-ACK on `00`, RST otherwise; then
/// bytes both ways with FIN ↔ stream FIN and RST ↔ RESET_STREAM/STOP_SENDING.
///
/// The TCP state lives in the data plane's `TCPEndpoint` on the event loop; this task only moves chunks
/// between it and the stream, one at a time in each direction, so neither side buffers more than a chunk
/// beyond what the endpoint's buffers and the stream's flow control allow.
struct AgentTunTCPFlow: Sendable {
    /// What the kernel sent next.
    enum Upstream: Sendable {
        case bytes([UInt8])
        case fin
        case reset
    }

    /// The data plane's per-flow state (loop-confined, kept in the plane).
    struct State {
        var upstreamWaiter: EventLoopPromise<Upstream>?
        var downstreamWaiter: EventLoopPromise<Void>?
        var downstreamPending: ArraySlice<UInt8> = []
        var reset = false
        var finished = false
    }

    /// The flow ended (reset or closed) while bytes were waiting for it.
    struct FlowGone: Error {}

    let plane: NIOLoopBound<AgentTunDataPlane>
    let flow: FlowID
    let service: ServiceID
    let port: UInt16
    let opener: any TunnelOpener
    let counters: TunnelCounters?
    let logger: Logger

    func start() {
        Task { await run() }
    }

    private var loop: any EventLoop { plane.eventLoop }

    private func run() async {
        guard let stream = await connect() else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await upstream(stream) }
            group.addTask { await downstream(stream) }
        }
    }

    // MARK: - Connecting

    /// Opens the stream and asks the connector; answers the kernel's SYN. Returns the stream when connected.
    private func connect() async -> QUICNIOStream? {
        let stream: QUICNIOStream
        do {
            let connection = try await opener.tunnel(for: service)
            stream = try await connection.openStream()
        } catch {
            if let quic = error as? QUICNIOError, case .stream(.streamLimitReached) = quic {
                counters?.drop(.streamLimit)
            } else {
                counters?.drop(.noTunnel)
            }
            logger.info("no tunnel stream for a TCP connection; refused", metadata: [
                "service": "\(service)", "port": "\(port)", "error": "\(error)",
            ])
            await answer(accepted: false)
            return nil
        }
        var status: TCPConnectStatus?
        do throws(QUICNIOError) {
            try await stream.write(TCPConnectRequest(port: port).bytes)
            status = try await stream.read(maxBytes: TCPConnectStatus.wireLength).flatMap { try? TCPConnectStatus(parsing: $0) }
        } catch {
            status = nil
        }
        if let status { counters?.recordTCPStream(status) }
        guard status == .connected, await answer(accepted: true) else {
            if status != .connected {
                logger.info("connector answered \(status.map(\.description) ?? "nothing"); TCP connection refused",
                            metadata: ["service": "\(service)", "port": "\(port)"])
                await answer(accepted: false)
            }
            let code = status == .connected ? TunnelErrorCode.aborted : TunnelErrorCode.notConnected
            stream.stopSending(errorCode: code)
            stream.reset(errorCode: code)
            return nil
        }
        return stream
    }

    @discardableResult
    private func answer(accepted: Bool) async -> Bool {
        let plane = self.plane
        let flow = self.flow
        return (try? await loop.submit { plane.value.connectAnswered(flow, accepted: accepted) }.get()) ?? false
    }

    // MARK: - Both directions

    /// Kernel → stream.
    private func upstream(_ stream: QUICNIOStream) async {
        let plane = self.plane
        let flow = self.flow
        while true {
            let next: Upstream
            do {
                next = try await loop.flatSubmit { plane.value.nextUpstream(flow) }.get()
            } catch {
                next = .reset
            }
            do throws(QUICNIOError) {
                switch next {
                case .bytes(let bytes):
                    try await stream.write(bytes)
                    counters?.addBytesUp(bytes.count)
                case .fin:
                    try await stream.finish()
                    return
                case .reset:
                    stream.reset(errorCode: TunnelErrorCode.tcpReset)
                    stream.stopSending(errorCode: TunnelErrorCode.tcpReset)
                    return
                }
            } catch {
                // STOP_SENDING from the connector, or the tunnel closed: the application sees a reset.
                loop.execute { plane.value.resetFlow(flow) }
                return
            }
        }
    }

    /// Stream → kernel.
    private func downstream(_ stream: QUICNIOStream) async {
        let plane = self.plane
        let flow = self.flow
        do {
            while let bytes = try await stream.read(maxBytes: AgentTunDataPlane.upstreamChunk) {
                try await loop.flatSubmit { plane.value.writeDownstream(flow, bytes) }.get()
                counters?.addBytesDown(bytes.count)
            }
            loop.execute { plane.value.finishDownstream(flow) }
        } catch is FlowGone {
            stream.stopSending(errorCode: TunnelErrorCode.tcpReset)
        } catch {
            // RESET_STREAM from the connector (its backend reset), or the tunnel closed.
            loop.execute { plane.value.resetFlow(flow) }
        }
    }
}
#endif
