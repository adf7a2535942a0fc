#if os(Linux)
import Glibc
import IPPacket
import NIOCore
import Testing
import UserspaceTCP
#if canImport(ZTNARuntimeTUN)
@testable import ZTNARuntimeTUN
#else
@testable import ZTNARuntime
#endif

/// Kernel tests need root (CAP_NET_ADMIN for TUN and namespaces).
let runningAsRoot = getuid() == 0

/// One network namespace with a TUN device whose descriptor stays in this process: the kernel inside
/// the namespace routes the virtual IP 10.201.0.2 to the TUN, and a `TCPEndpoint` here answers.
///
///   netns ztna-tcp-XXXX:  python3 peer ──TCP──▶ 10.201.0.2 ──route──▶ tun (10.201.0.1/32, MTU 1280)
///                                                                      │ fd
///   test process:                                                 TCPEndpoint
final class KernelLab {
    static let kernelAddress = "10.201.0.1"
    static let virtualIP = "10.201.0.2"
    static let port = 8080

    let namespace: String
    let tun: TunDevice
    var endpoint: TCPEndpoint
    private var peers: [TUNSubprocess] = []
    /// Loss injection for retransmission tests.
    var dropOutgoing: DropNthDataSegment?
    var dropIncoming: DropNthDataSegment?

    init(configuration: TCPConfiguration = TCPConfiguration()) throws {
        var random = SystemRandomNumberGenerator()
        let tag = String(random.next() & 0xFF_FFFF, radix: 16)
        namespace = "ztna-tcp-\(tag)"
        try IPRoute.addNamespace(namespace)
        do {
            tun = try TunDevice.open(name: "ztt\(tag)")
            try IPRoute.moveToNamespace(device: tun.name, namespace: namespace)
            try IPRoute.setUp(device: "lo", namespace: namespace)
            try IPRoute.addAddress("\(Self.kernelAddress)/32", device: tun.name, namespace: namespace)
            try IPRoute.setMTU(1280, device: tun.name, namespace: namespace)
            try IPRoute.setUp(device: tun.name, namespace: namespace)
            try IPRoute.addRoute("\(Self.virtualIP)/32", device: tun.name, namespace: namespace)
        } catch {
            try? IPRoute.deleteNamespace(namespace)
            throw error
        }
        endpoint = TCPEndpoint(configuration: configuration, randomSeed: random.next())
    }

    /// Kills peers, closes the TUN (the kernel deletes the device) and deletes the namespace.
    func shutdown() {
        for peer in peers { peer.terminate(); _ = peer.waitUntilExit() }
        peers.removeAll()
        tun.close()
        try? IPRoute.deleteNamespace(namespace)
    }

    /// Starts `python3 -c script` inside the namespace (the kernel-side application).
    func startPeer(_ script: String) throws -> TUNSubprocess {
        let peer = try TUNSubprocess(["ip", "netns", "exec", namespace, "python3", "-c", script])
        peers.append(peer)
        return peer
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the shell loop until `step` returns true: TUN → endpoint, timers, endpoint → TUN, events to `step`.
    /// Fails after `limit` of wall time (the bound on every kernel test).
    func run(limit: TimeAmount = .seconds(30), _ step: (inout TCPEndpoint, [TCPEvent], NIODeadline) -> Bool) throws {
        let deadline = NIODeadline.now() + limit
        var buffer = [UInt8](repeating: 0, count: 65535)
        while true {
            let now = NIODeadline.now()
            guard now < deadline else {
                throw Timeout(description: "kernel test exceeded \(limit); peer output: \(peers.map(\.outputText))")
            }
            // TUN → endpoint (a bounded batch, nonblocking).
            for _ in 0..<256 {
                guard let n = try buffer.withUnsafeMutableBytes({ try tun.read(into: $0) }) else { break }
                let packet = Array(buffer[0..<n])
                if let drop = dropIncoming, !drop.keep(packet) { continue }
                endpoint.handle(packet: packet, now: now)
            }
            if let t = endpoint.pollTimeout(), t <= now { endpoint.handleTimeout(now: now) }
            var events: [TCPEvent] = []
            while let e = endpoint.pollEvent() { events.append(e) }
            let done = step(&endpoint, events, now)
            try flush()
            for peer in peers { peer.poll() }
            if done { return }
            // Sleep in poll(2) until the TUN is readable or the next timer (at most 5 ms: the step may
            // be waiting on the peer process, which has no descriptor in this loop).
            var wait: Int64 = 5
            if let t = endpoint.pollTimeout() {
                wait = max(0, min(wait, (t.uptimeNanoseconds > now.uptimeNanoseconds
                    ? Int64(t.uptimeNanoseconds - now.uptimeNanoseconds) : 0) / 1_000_000))
            }
            _ = try tun.waitReadable(timeoutMilliseconds: Int32(wait))
        }
    }

    private func flush() throws {
        while let packet = endpoint.pollPacket() {
            if let drop = dropOutgoing, !drop.keep(packet) { continue }
            try tun.write(packet)
        }
    }
}

/// Drops the `n`th TCP segment that carries data, once.
final class DropNthDataSegment {
    let n: Int
    private(set) var seen = 0
    private(set) var dropped = false

    init(_ n: Int) { self.n = n }

    func keep(_ packet: [UInt8]) -> Bool {
        guard !dropped, let p = try? IPPacket(parsing: packet), !p.payload.isEmpty else { return true }
        seen += 1
        if seen == n { dropped = true; return false }
        return true
    }
}

/// Byte `i` of the upload pattern (kernel → us): period 251, matches the Python peer's `A`.
@inline(__always) func uploadByte(_ i: Int) -> UInt8 { UInt8((i &* 31 &+ 7) % 251) }
/// Byte `i` of the download pattern (us → kernel): period 253, matches the Python peer's `B`.
@inline(__always) func downloadByte(_ i: Int) -> UInt8 { UInt8((i &* 17 &+ 3) % 253) }

/// Python prelude for every peer: addresses and the two patterns.
let pythonPrelude = """
import socket, sys, threading, struct
VIP, PORT = '\(KernelLab.virtualIP)', \(KernelLab.port)
def A(n):
    block = bytes((i * 31 + 7) % 251 for i in range(251))
    return (block * (n // 251 + 1))[:n]
def B(n):
    block = bytes((i * 17 + 3) % 253 for i in range(253))
    return (block * (n // 253 + 1))[:n]
def recv_all(s):
    buf = bytearray()
    while True:
        d = s.recv(262144)
        if not d:
            return bytes(buf)
        buf += d

"""

/// Checks incoming bytes against the upload pattern as they arrive.
struct UploadChecker {
    private(set) var count = 0
    private(set) var mismatchAt: Int?

    mutating func consume(_ bytes: [UInt8]) {
        if mismatchAt == nil {
            for (k, b) in bytes.enumerated() where b != uploadByte(count + k) {
                mismatchAt = count + k
                break
            }
        }
        count += bytes.count
    }
}

/// Feeds the download pattern into a flow as the send buffer allows.
struct DownloadFeeder {
    let total: Int
    private(set) var offset = 0
    var done: Bool { offset == total }

    init(total: Int) { self.total = total }

    mutating func pump(_ endpoint: inout TCPEndpoint, _ flow: FlowID, now: NIODeadline) {
        while offset < total {
            let room = endpoint.writableBytes(flow)
            if room == 0 { return }
            let n = min(room, total - offset, 64 * 1024)
            let chunk = (offset..<offset + n).map(downloadByte)
            let taken = endpoint.write(flow, chunk, now: now)
            offset += taken
            if taken < n { return }
        }
    }
}
#endif
