public import NIOCore
import ZTNAConfig
public import ZTNAProtocol

extension ObservedAddress {
    /// The UDP address `address` as OBSERVED_ADDRESS carries it; nil for a Unix socket address. Goes through
    /// the textual form (once per connection or address change, never per packet).
    public init?(_ address: SocketAddress) {
        guard let port = address.port, let portValue = UInt16(exactly: port),
              let text = address.ipAddress, let literal = IPAddressLiteral(text) else { return nil }
        self.init(addressBytes: literal.bytes, port: portValue)
    }
}

extension ObservedAddress {
    /// The observed address as a socket address (a server-reflexive candidate, DESIGN.md §6).
    public var socketAddress: SocketAddress? {
        try? SocketAddress(packedIPAddress: ByteBuffer(bytes: addressBytes), port: Int(port))
    }
}
