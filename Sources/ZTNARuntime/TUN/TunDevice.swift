#if os(Linux)
import Glibc

// MARK: - Linux TUN device (Documentation/networking/tuntap.rst)

/// A layer-3 TUN interface: every read returns one whole IPv4/IPv6 packet the kernel routed to it, every
/// write injects one packet into the kernel's stack. Opened with `IFF_TUN | IFF_NO_PI` (no 4-byte
/// packet-information prefix) and a nonblocking descriptor, so a NIO shell can later watch `fileDescriptor`.
///
/// The device exists while the descriptor is open; `close()` (or deinit) removes it.
public final class TunDevice {
    /// The interface name the kernel assigned (the requested one, or `tunN` for a pattern).
    public let name: String
    /// The nonblocking descriptor; -1 after `close()`.
    public private(set) var fileDescriptor: Int32

    // linux/if_tun.h values (not exported by Glibc's module map).
    static let tunSetIff: UInt = 0x4004_54CA  // _IOW('T', 202, int)
    static let iffTun: Int16 = 0x0001
    static let iffNoPI: Int16 = 0x1000
    /// IFNAMSIZ including the terminating NUL.
    static let interfaceNameSize = 16

    private init(name: String, fileDescriptor: Int32) {
        self.name = name
        self.fileDescriptor = fileDescriptor
    }

    deinit { close() }

    // MARK: - Opening

    /// Creates (or attaches to) the TUN interface `name` (at most 15 bytes; "ztna%d" lets the kernel
    /// number it). Needs CAP_NET_ADMIN. The interface starts down and without addresses: see `IPRoute`.
    public static func open(name: String) throws(TunError) -> TunDevice {
        let nameBytes = Array(name.utf8)
        guard !nameBytes.isEmpty, nameBytes.count < interfaceNameSize, !nameBytes.contains(0) else {
            throw TunError(operation: "interface name \"\(name)\"", errno: EINVAL)
        }
        let fd = Glibc.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw TunError(operation: "open /dev/net/tun", errno: errno) }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { raw in
            raw.copyBytes(from: nameBytes)
        }
        request.ifr_ifru.ifru_flags = iffTun | iffNoPI
        guard ioctl(fd, tunSetIff, &request) >= 0 else {
            let error = errno
            Glibc.close(fd)
            throw TunError(operation: "ioctl TUNSETIFF \(name)", errno: error)
        }
        let assigned = withUnsafeBytes(of: request.ifr_ifrn.ifrn_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return TunDevice(name: assigned, fileDescriptor: fd)
    }

    // MARK: - Reading

    /// Reads one packet into `buffer`; returns its length, or nil when no packet is waiting (EAGAIN).
    /// A packet longer than `buffer` is truncated by the kernel: size buffers to the MTU or 65535.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TunError) -> Int? {
        while true {
            let n = Glibc.read(fileDescriptor, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return nil }
            throw TunError(operation: "read \(name)", errno: error)
        }
    }

    /// Reads one packet as a new array; nil when none is waiting.
    public func readPacket(maxLength: Int = 65535) throws(TunError) -> [UInt8]? {
        var length: Int?
        var failure: TunError?
        let packet = [UInt8](unsafeUninitializedCapacity: maxLength) { buffer, count in
            do throws(TunError) {
                length = try read(into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
            }
            count = length ?? 0
        }
        if let failure { throw failure }
        return length == nil ? nil : packet
    }

    /// Reads up to `maxPackets` packets that are already waiting (never blocks).
    public func readBatch(maxPackets: Int = 64, maxLength: Int = 65535) throws(TunError) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        while packets.count < maxPackets, let packet = try readPacket(maxLength: maxLength) {
            packets.append(packet)
        }
        return packets
    }

    /// Waits until a packet can be read or `timeoutMilliseconds` pass (poll(2)); true when readable.
    public func waitReadable(timeoutMilliseconds: Int32) throws(TunError) -> Bool {
        var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let n = poll(&descriptor, 1, timeoutMilliseconds)
            if n >= 0 { return n > 0 && descriptor.revents & Int16(POLLIN) != 0 }
            let error = errno
            if error == EINTR { continue }
            throw TunError(operation: "poll \(name)", errno: error)
        }
    }

    // MARK: - Writing

    /// Injects one whole IP packet. Returns false when the kernel's queue is full (EAGAIN/ENOBUFS) and
    /// the packet was not taken; TCP above retransmits, so callers may drop it.
    @discardableResult
    public func write(_ packet: [UInt8]) throws(TunError) -> Bool {
        while true {
            let n = packet.withUnsafeBytes { Glibc.write(fileDescriptor, $0.baseAddress, $0.count) }
            if n >= 0 { return true }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS { return false }
            throw TunError(operation: "write \(name)", errno: error)
        }
    }

    // MARK: - Closing

    /// Closes the descriptor (the kernel then deletes the interface and its routes). Idempotent.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        Glibc.close(fileDescriptor)
        fileDescriptor = -1
    }
}

/// A failed system call on a TUN device, with its errno.
public struct TunError: Error, Hashable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(operation): \(String(cString: strerror(errno))) (errno \(errno))" }
}
#endif
