#if os(Linux)
import IPPacket
import Logging
import NIOCore
import ZTNAConfig
import ZTNAProtocol

/// The agent's TUN mode, assembled (DESIGN.md §4): the interface with its routes, the data plane on the
/// agent's event loop, the reader, and the wiring to the tunnels (replies in, tunnel up/down news).
final class AgentTunMode: Sendable {
    private let interface: NIOLoopBound<TunInterface>
    private let plane: NIOLoopBound<AgentTunDataPlane>
    private let reader: any Channel
    /// What `/api/v1/status` shows.
    let name: String
    let mtu: Int
    let address: String
    let routes: [String]

    private init(interface: NIOLoopBound<TunInterface>, plane: NIOLoopBound<AgentTunDataPlane>, reader: any Channel,
                 name: String, mtu: Int, address: String, routes: [String]) {
        self.interface = interface
        self.plane = plane
        self.reader = reader
        self.name = name
        self.mtu = mtu
        self.address = address
        self.routes = routes
    }

    /// Creates the interface and its routes and starts moving packets. Throws a `StartupError` that says what to
    /// fix (root, an existing route, …) and leaves nothing behind.
    static func start(_ tun: AgentSettings.Tun, settings: AgentSettings, tunnels: AgentTunnels,
                      counters: [ServiceID: TunnelCounters], interfaceCounters: TunnelCounters,
                      loop: any EventLoop, logger: Logger) async throws(StartupError) -> AgentTunMode {
        var virtualIPs: [ServiceID: IPAddress] = [:]
        for service in settings.services { virtualIPs[service.id] = PortForwarder.address(of: service.virtualIP) }
        let classifier = TunPacketClassifier(tunnelAddress: settings.tunnelAddress, virtualIPs: virtualIPs)
        let created: TunInterface
        do {
            created = try TunInterface.create(name: tun.name, mtu: tun.mtu, address: settings.tunnelAddress,
                                              virtualIPs: settings.services.map { PortForwarder.address(of: $0.virtualIP) })
        } catch {
            throw StartupError("\(error)")
        }
        let routes = created.installedRoutes
        let name = created.device.name
        let planeBox: NIOLoopBound<AgentTunDataPlane>
        let interfaceBox: NIOLoopBound<TunInterface>
        do {
            (planeBox, interfaceBox) = try await loop.submit {
                let plane = AgentTunDataPlane(
                    loop: loop, interface: created, classifier: classifier, randomSeed: UInt64.random(in: .min ... .max),
                    opener: tunnels, counters: counters, interfaceCounters: interfaceCounters, logger: logger)
                return (plane.handle, NIOLoopBound(created, eventLoop: loop))
            }.get()
        } catch {
            created.close()
            throw StartupError("TUN set-up failed: \(error)")
        }
        let plane = planeBox
        for service in settings.services {
            let id = service.id
            await tunnels.addConsumer(for: id) { packet in
                loop.execute { plane.value.deliver(packet, from: id) }
                return true
            }
        }
        await tunnels.addObserver { service, connection in
            loop.execute { plane.value.tunnelChanged(service, connection) }
        }
        let reader: any Channel
        do {
            reader = try await AgentTunReader.start(created, plane: plane)
        } catch {
            try? await loop.submit { plane.value.close(); interfaceBox.value.close() }.get()
            throw StartupError("cannot read TUN device \(name): \(error)")
        }
        logger.notice("TUN up", metadata: [
            "device": "\(name)", "mtu": "\(tun.mtu)", "address": "\(settings.tunnelAddress)",
            "routes": "\(routes.joined(separator: ","))",
        ])
        return AgentTunMode(interface: interfaceBox, plane: plane, reader: reader, name: name, mtu: tun.mtu,
                            address: "\(settings.tunnelAddress)", routes: routes)
    }

    func report() async -> AgentTunReport {
        let plane = self.plane
        let connections = (try? await plane.eventLoop.submit { plane.value.tcpFlowCount }.get()) ?? 0
        return AgentTunReport(name: name, mtu: mtu, address: address, routes: routes, tcpConnections: connections)
    }

    /// Resets the TCP connections, stops reading, removes the routes and the device.
    func stop() async {
        let plane = self.plane
        let interface = self.interface
        try? await plane.eventLoop.submit { plane.value.close() }.get()
        try? await reader.close()
        try? await plane.eventLoop.submit { interface.value.close() }.get()
    }
}
#endif
