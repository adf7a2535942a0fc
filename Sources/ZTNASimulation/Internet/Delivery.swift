public import NIOCore

/// A datagram arriving at a host: what its UDP socket bound to `localAddress` reads.
public struct Delivery: Sendable, Hashable {
    public var host: HostID
    /// The host's own address and the port the datagram was sent to (after any NAT's inbound translation).
    public var localAddress: SocketAddress
    /// The source as the receiving host sees it: rewritten by every NAT the datagram left through.
    public var source: SocketAddress
    public var payload: ByteBuffer
    /// When it arrived (the `deliverDue` call may be later).
    public var time: NIODeadline

    public init(host: HostID, localAddress: SocketAddress, source: SocketAddress, payload: ByteBuffer,
                time: NIODeadline) {
        self.host = host
        self.localAddress = localAddress
        self.source = source
        self.payload = payload
        self.time = time
    }
}
