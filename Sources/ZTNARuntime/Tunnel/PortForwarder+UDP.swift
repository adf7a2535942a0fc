import IPPacket
import Logging
import NIOCore
import NIOPosix
import QUICCore
import QUICNIO
import Synchronization
import ZTNAConfig

// MARK: - UDP port forwarding (DESIGN.md §4: UDP rides in DATAGRAM frames as whole IP packets)

extension PortForwarder {
    func startUDP() async throws -> Running {
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: TunnelLimits.udpReadBufferSize))
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(TunnelLimits.udpSocketReceiveBufferSize))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LocalUDPHandler(forwarder: self))
                }
            }
            .bind(host: forward.listen.host, port: Int(forward.listen.port)).get()
        let sender = Task { await self.sendToTunnel() }
        let sweep = Task { await self.sweepIdleFlows() }
        return Running(listener: channel, tasks: [sender, sweep])
    }

    /// The local UDP socket, while running.
    private var udpChannel: (any Channel)? {
        state.withLock { state in
            guard case .running(let running) = state else { return nil }
            return running.listener
        }
    }

    // MARK: - Local client → tunnel

    /// A datagram from a local client (on the socket's event loop): its flow's port, the IP/UDP packet, queued
    /// for the sender.
    fileprivate func fromLocalClient(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard envelope.data.readableBytes < TunnelLimits.udpReadBufferSize else {
            counters.drop(.oversize)   // filled the read buffer: possibly truncated, too large to carry anyway
            return
        }
        let port: UInt16
        switch flows.port(for: envelope.remoteAddress, now: .now()) {
        case .success(let flowPort): port = flowPort
        case .failure(.flowLimit):
            counters.drop(.flowLimit)
            return
        case .failure(.closed):
            return
        }
        guard let addresses = IPAddressPair(source: tunnelAddress, destination: virtualIP) else { return }
        let packet = IPPacketBuilder.udp(addresses, sourcePort: port, destinationPort: forward.port,
                                         payload: Array(buffer: envelope.data))
        if case .dropped = outgoingInput.yield(packet) { counters.drop(.queueFull) }
    }

    /// Sends queued packets, in order, on the service's tunnel until the forwarder closes.
    private func sendToTunnel() async {
        let headerLength: Int
        switch virtualIP {
        case .v4: headerLength = IPv4Header.minimumLength + UDPHeader.length
        case .v6: headerLength = IPv6Header.length + UDPHeader.length
        }
        for await packet in outgoing {
            if await send(packet) { counters.addBytesUp(packet.count - headerLength) }
        }
    }

    /// One packet on the current tunnel; when that one is closed, once more on a fresh one.
    private func send(_ packet: [UInt8]) async -> Bool {
        for _ in 0..<2 {
            guard let connection = await currentTunnel() else {
                counters.drop(.noTunnel)
                return false
            }
            do throws(QUICDatagramError) {
                try await connection.send(datagram: packet)
                return true
            } catch {
                switch error {
                case .tooLarge:
                    counters.drop(.oversize)
                    return false
                case .unsupportedByPeer:
                    counters.drop(.noTunnel)
                    return false
                case .notConnected:
                    udpTunnel.withLock { if $0 === connection { $0 = nil } }
                }
            }
        }
        counters.drop(.noTunnel)
        return false
    }

    private func currentTunnel() async -> QUICNIOConnection? {
        if let connection = udpTunnel.withLock({ $0 }) { return connection }
        do {
            let connection = try await opener.tunnel(for: forward.service)
            udpTunnel.withLock { $0 = connection }
            return connection
        } catch {
            logger.debug("no tunnel for UDP", metadata: ["error": "\(error)"])
            return nil
        }
    }

    // MARK: - Tunnel → local client

    /// Offers a packet that arrived on the service's tunnel (a DATAGRAM payload). Returns true when it was a
    /// reply of one of this forwarder's flows — UDP from virtual IP:port to tunnel address:flow port — and
    /// was sent to that flow's local client; false when it is not ours (another forwarder's, or anything else).
    public func deliver(ipPacket bytes: [UInt8]) -> Bool {
        guard forward.protocol == .udp,
              let packet = try? IPPacket(parsing: bytes),
              case .udp(let header) = packet.transport,
              header.sourcePort == forward.port,
              packet.addresses.source == virtualIP, packet.addresses.destination == tunnelAddress,
              let client = flows.client(forPort: header.destinationPort, now: .now()),
              let channel = udpChannel else { return false }
        let payload = packet.payload
        counters.addBytesDown(payload.count)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: payload)), promise: nil)
        return true
    }

    // MARK: - Idle flows

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

// MARK: - Local socket handler

/// The forwarder's local UDP socket: every datagram goes to the forwarder; ICMP errors about earlier replies
/// (a client went away) are ignored.
private final class LocalUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let forwarder: PortForwarder

    init(forwarder: PortForwarder) {
        self.forwarder = forwarder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        forwarder.fromLocalClient(Self.unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
