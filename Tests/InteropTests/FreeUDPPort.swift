// Picks a free UDP port on 127.0.0.1 for a server process: bind a socket to port 0, read the port the kernel
// chose, close the socket. Ports handed out once are never handed out again in this test process, so tests
// running in parallel cannot be given the same one.

import Glibc
import Synchronization

/// Free UDP ports on the loopback interface.
enum FreeUDPPort {
    /// Errors from the socket calls, with errno.
    struct SocketError: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    private static let handedOut = Mutex<Set<UInt16>>([])

    /// A port on 127.0.0.1 that was free a moment ago and that no other test of this process was given.
    static func next() throws(SocketError) -> UInt16 {
        for _ in 0..<64 {
            let port = try probe()
            let isNew = handedOut.withLock { $0.insert(port).inserted }
            if isNew { return port }
        }
        throw SocketError(call: "choosing an unused port", code: EADDRINUSE)
    }

    private static func probe() throws(SocketError) -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError(call: "socket", code: errno) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw SocketError(call: "bind", code: errno) }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw SocketError(call: "getsockname", code: errno) }
        return UInt16(bigEndian: address.sin_port)
    }
}
