public import Logging
public import NIOCore
public import QUICNIO
import QUICCore
import Synchronization
public import ZTNAConfig
import ZTNAProtocol

/// The connector's end of one tunnel connection (DESIGN.md §4): everything that runs on an established
/// `ztna-tunnel-v1` connection once the control plane has accepted it and checked the agent's grant.
///
/// - Each stream the agent opens is a TCP flow: `TCP_CONNECT port` → one status byte → the byte stream,
///   spliced to a fresh backend connection (`TunnelStreamSplice`).
/// - Each DATAGRAM is an IP packet: UDP goes to the port's backend on a per-flow socket, ICMP echo requests
///   are answered here, the rest is dropped and counted (`ConnectorDatagramRouter`).
///
/// The tunnel never learns whether its path is relayed or direct. It consumes the connection's
/// `incomingStreams` and `datagrams` (both single-consumer); nothing else may.
public final class ConnectorTunnel: Sendable {
    /// The service this tunnel serves (the one named in the tunnel's SNI).
    public let service: ConnectorService
    /// The agent at the other end (its certificate's name), for logs.
    public let agentName: String
    private let connection: QUICNIOConnection
    private let counters: TunnelCounters
    private let limits: TunnelLimits
    private let logger: Logger
    private let group: any EventLoopGroup
    private let router: ConnectorDatagramRouter
    private let tcpBackends: [UInt16: HostPort]
    private let flows: ConnectorUDPFlows
    private let liveStreams = Atomic<Int>(0)

    public init(service: ConnectorService, connection: QUICNIOConnection, agentName: String,
                counters: TunnelCounters, limits: TunnelLimits = TunnelLimits(), logger: Logger,
                group: any EventLoopGroup) {
        self.service = service
        self.connection = connection
        self.agentName = agentName
        self.counters = counters
        self.limits = limits
        var logger = logger
        logger[metadataKey: "service"] = "\(service.id)"
        logger[metadataKey: "agent"] = "\(agentName)"
        self.logger = logger
        self.group = group
        router = ConnectorDatagramRouter(service: service)
        var backends: [UInt16: HostPort] = [:]
        for port in service.ports where port.protocol == .tcp { backends[port.port] = port.backend }
        tcpBackends = backends
        flows = ConnectorUDPFlows(limits: limits, counters: counters)
    }

    // MARK: - Running

    /// Serves the tunnel until the connection closes (or the task is cancelled); returns after every backend
    /// socket of the tunnel was closed. Closing the connection is the caller's business.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.runDatagrams() }
            for await stream in connection.incomingStreams {
                group.addTask { await self.serve(stream) }
            }
            // The connection closed: stop what would otherwise wait for a timeout (a backend connect).
            group.cancelAll()
        }
    }

    /// Live TCP flows (streams spliced or connecting) of this tunnel.
    public var liveStreamCount: Int { liveStreams.load(ordering: .relaxed) }

    /// Live UDP flows of this tunnel.
    public var liveFlowCount: Int { flows.count }

    // MARK: - Streams (TCP)

    private func serve(_ stream: QUICNIOStream) async {
        let request: TCPConnectRequest
        switch await readRequest(stream) {
        case .request(let value): request = value
        case .gone: return
        case .malformed:
            counters.drop(.malformedRequest)
            stream.reset(errorCode: TunnelErrorCode.malformedRequest)
            stream.stopSending(errorCode: TunnelErrorCode.malformedRequest)
            logger.debug("malformed TCP_CONNECT; stream reset", metadata: ["stream": "\(stream.id)"])
            return
        }
        guard let backend = tcpBackends[request.port] else {
            await answer(stream, .portNotOffered, port: request.port)
            return
        }
        guard reserveStream() else {
            await answer(stream, .busy, port: request.port)
            return
        }
        defer { liveStreams.subtract(1, ordering: .relaxed) }
        let socket: TunnelSocket
        switch await BackendDialer.connectTCP(to: backend, timeout: limits.backendConnectTimeout, group: group) {
        case .success(let connected):
            socket = connected
        case .failure(let failure):
            logger.debug("backend connect failed", metadata: ["backend": "\(backend)", "error": "\(failure.error)"])
            await answer(stream, failure.status, port: request.port)
            return
        }
        do throws(QUICNIOError) {
            try await stream.write(TCPConnectStatus.connected.bytes)
        } catch {
            socket.close(reset: true)
            return
        }
        counters.recordTCPStream(.connected)
        let outcome = await TunnelStreamSplice(stream: stream, socket: socket, side: .connector, counters: counters).run()
        logger.trace("TCP flow ended", metadata: ["port": "\(request.port)", "outcome": "\(outcome)"])
    }

    private enum RequestRead {
        case request(TCPConnectRequest)
        case malformed
        /// The stream or the connection went away before a request arrived.
        case gone
    }

    /// Reads exactly the request's bytes, no more: what follows belongs to the byte stream.
    private func readRequest(_ stream: QUICNIOStream) async -> RequestRead {
        var bytes: [UInt8] = []
        while bytes.count < TCPConnectRequest.wireLength {
            let chunk: [UInt8]?
            do throws(QUICNIOError) {
                chunk = try await stream.read(maxBytes: TCPConnectRequest.wireLength - bytes.count)
            } catch {
                if case .stream(.notReadable) = error { return .malformed }   // our own unidirectional stream
                return .gone
            }
            guard let chunk else { return .malformed }   // FIN before a whole request
            bytes += chunk
            // The type byte decides early: an unknown request is not worth waiting for.
            if bytes.first != TCPConnectRequest.typeByte { return .malformed }
        }
        do throws(TunnelMessageError) {
            return .request(try TCPConnectRequest(parsing: bytes))
        } catch {
            return .malformed
        }
    }

    /// Sends a status other than `00`, then the FIN, and asks the agent to stop sending (RFC 9000 §19.5):
    /// this stream carries no byte stream.
    private func answer(_ stream: QUICNIOStream, _ status: TCPConnectStatus, port: UInt16) async {
        counters.recordTCPStream(status)
        logger.info("TCP connect answered \(status)", metadata: ["port": "\(port)"])
        try? await stream.write(status.bytes, finish: true)
        stream.stopSending(errorCode: TunnelErrorCode.notConnected)
    }

    /// Takes a slot of `maxStreamsPerTunnel`; false when none is free.
    private func reserveStream() -> Bool {
        let live = liveStreams.add(1, ordering: .relaxed).newValue
        guard live <= limits.maxStreamsPerTunnel else {
            liveStreams.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    // MARK: - DATAGRAMs (UDP, ICMP)

    private func runDatagrams() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sweepIdleFlows() }
            for await datagram in connection.datagrams {
                switch router.route(datagram) {
                case .udp(let key, let payload, let backend):
                    guard let flow = flows.dispatch(key, payload: payload, backend: backend, now: .now()) else { break }
                    logger.trace("UDP flow opened", metadata: ["flow": "\(key)", "backend": "\(backend)"])
                    group.addTask {
                        await flow.run(connection: self.connection, logger: self.logger)
                        self.flows.ended(flow)
                    }
                case .reply(let packet):
                    await sendEchoReply(packet)
                case .drop(let reason):
                    counters.drop(reason)
                }
            }
            // The connection closed: every flow closes its socket, the sweep stops.
            flows.closeAll()
            group.cancelAll()
        }
    }

    private func sendEchoReply(_ packet: [UInt8]) async {
        do throws(QUICDatagramError) {
            try await connection.send(datagram: packet)
            counters.icmpEchoAnswered()
        } catch {
            if case .tooLarge = error { counters.drop(.oversize) }
        }
    }

    /// Closes idle flows every `flowSweepInterval` until cancelled.
    private func sweepIdleFlows() async {
        let interval = Duration.nanoseconds(limits.flowSweepInterval.nanoseconds)
        while true {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            flows.expire(now: .now())
        }
    }
}
