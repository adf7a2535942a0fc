import NIOCore
import ZTNASimulation

/// The clock every test starts from.
let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

func address(_ ip: String, _ port: Int) throws -> SocketAddress { try SocketAddress(ipAddress: ip, port: port) }

extension Delivery {
    var text: String { String(buffer: payload) }
}

/// One NAT'd client with a server and a third host on the internet: the shape of most RFC 4787 tests.
/// Latencies: client access 10 ms, NAT uplink 0, server 10 ms, third 20 ms.
struct NATLab {
    var net: SimulatedInternet
    let nat: NATID
    let inside: RealmID
    let client: HostID
    let server: HostID
    let third: HostID
    let clientPort = 40000
    let serverAddress: SocketAddress
    let thirdAddress: SocketAddress

    init(_ behaviour: NATBehaviour, seed: UInt64 = 7) throws {
        net = SimulatedInternet(seed: seed)
        (nat, inside) = try net.addNAT(behaviour, externalIP: "203.0.113.1")
        client = try net.addHost(ip: "192.168.1.2", in: inside, latency: .milliseconds(10))
        server = try net.addHost(ip: "198.51.100.10", in: .internet, latency: .milliseconds(10))
        third = try net.addHost(ip: "198.51.100.20", in: .internet, latency: .milliseconds(20))
        serverAddress = try address("198.51.100.10", 5000)
        thirdAddress = try address("198.51.100.20", 5000)
    }

    /// The client sends to `destination` from its port at `now`; everything due by `now + 1 s` is delivered.
    /// Returns where the datagram appeared to come from, if it arrived.
    @discardableResult
    mutating func clientSends(to destination: SocketAddress, _ text: String = "out",
                              at now: NIODeadline = t0) -> SocketAddress? {
        net.send(from: client, source: clientPort, to: destination, payload: bytes(text), now: now)
        return net.deliverDue(now: now + .seconds(1)).first { $0.text == text }?.source
    }

    /// `host` sends from `port` to `destination` at `now`; returns what reached the client by `now + 1 s`.
    mutating func sendToClient(from host: HostID, port: Int = 5000, to destination: SocketAddress,
                               _ text: String = "in", at now: NIODeadline = t0) -> [Delivery] {
        net.send(from: host, source: port, to: destination, payload: bytes(text), now: now)
        return net.deliverDue(now: now + .seconds(1)).filter { $0.host == client }
    }
}
