#if os(Linux)
import Glibc
import IPPacket

// MARK: - The agent's split-tunnel interface (DESIGN.md §4, §5)

/// The agent's TUN device with its address and one host route per service virtual IP — a split tunnel:
/// nothing but those routes is touched, so only traffic to a service enters the tunnel.
///
/// `close()` removes the routes it added and then the device. Should the process die without it (SIGKILL),
/// the kernel deletes the non-persistent device when its descriptor closes, and the routes with it.
final class TunInterface {
    let device: TunDevice
    let mtu: Int
    private var routes: [String]

    private init(device: TunDevice, mtu: Int, routes: [String]) {
        self.device = device
        self.mtu = mtu
        self.routes = routes
    }

    /// Creates and configures the interface: MTU, `address` as a host address, up, then a /32 (or /128)
    /// route to each virtual IP with `address` as the source the kernel picks. Undoes everything on failure.
    /// Needs CAP_NET_ADMIN.
    static func create(name: String, mtu: Int, address: IPAddress, virtualIPs: [IPAddress]) throws(TunSetupError) -> TunInterface {
        let device: TunDevice
        do {
            device = try TunDevice.open(name: name)
        } catch {
            throw TunSetupError(error.errno == EPERM || error.errno == EACCES
                ? "cannot create TUN device \(name): permission denied — TUN mode needs root (CAP_NET_ADMIN); use --no-tun for port-forward mode"
                : "cannot create TUN device \(name): \(error)")
        }
        let interface = TunInterface(device: device, mtu: mtu, routes: [])
        if case .v4 = address, !virtualIPs.contains(where: { if case .v6 = $0 { true } else { false } }) {
            // An IPv4-only tunnel: no link-local address, router solicitations or MLD reports on the device,
            // which would only be dropped (and counted) by the data plane. Best effort: /proc/sys may be
            // read-only (systemd's ProtectKernelTunables), which changes nothing else.
            Self.writeSysctl("/proc/sys/net/ipv6/conf/\(device.name)/disable_ipv6", "1")
        }
        do throws(IPRouteError) {
            try IPRoute.setMTU(mtu, device: device.name)
            try IPRoute.addAddress(Self.hostPrefix(address), device: device.name)
            try IPRoute.setUp(device: device.name)
            for virtualIP in virtualIPs {
                let destination = Self.hostPrefix(virtualIP)
                try IPRoute.addRoute(destination, device: device.name, source: address.description)
                interface.routes.append(destination)
            }
        } catch {
            interface.close()
            throw TunSetupError("cannot configure \(device.name): \(error)")
        }
        return interface
    }

    /// The routes in place, as `ip route` destinations.
    var installedRoutes: [String] { routes }

    /// Removes the routes, then the device. Idempotent.
    func close() {
        for route in routes { try? IPRoute.removeRoute(route, device: device.name) }
        routes.removeAll()
        device.close()
    }

    private static func writeSysctl(_ path: String, _ value: String) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = value.withCString { write(descriptor, $0, strlen($0)) }
        Glibc.close(descriptor)
    }

    static func hostPrefix(_ address: IPAddress) -> String {
        switch address {
        case .v4: "\(address)/32"
        case .v6: "\(address)/128"
        }
    }
}

/// The TUN interface could not be set up.
struct TunSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
#endif
