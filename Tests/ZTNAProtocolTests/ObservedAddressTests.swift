import Testing
import ZTNAProtocol

@Suite struct ObservedAddressTests {
    @Test func ipv4Text() throws {
        let address = try #require(ObservedAddress(addressBytes: [203, 0, 113, 7], port: 4433))
        #expect(address.description == "203.0.113.7:4433")
        #expect(address.ip == .v4(0xCB00_7107))
        #expect(address.addressBytes == [203, 0, 113, 7])
        #expect(address.wireLength == 6)
    }

    @Test(arguments: [
        ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "[2001:db8::1]:4433"),
        ([UInt8](repeating: 0, count: 16), "[::]:4433"),
        ([UInt8](repeating: 0, count: 15) + [1], "[::1]:4433"),
        ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "[2001:db8:0:1::1]:4433"),
        // RFC 5952 §4.2.2: a single zero group is not compressed.
        ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "[2001:db8:0:1:1:1:1:1]:4433"),
        // §4.2.3: the first of two equally long runs.
        ([0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "[2001:db8::1:0:0:1]:4433"),
        ([0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0xAB, 0xCD, 0, 0, 0, 0, 0, 0], "[fe80::abcd:0:0:0]:4433"),
        // §5: IPv4-mapped.
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 1], "[::ffff:192.0.2.1]:4433"),
    ] as [([UInt8], String)])
    func ipv6Text(bytes: [UInt8], text: String) throws {
        let address = try #require(ObservedAddress(addressBytes: bytes, port: 4433))
        #expect(address.description == text)
        #expect(address.addressBytes == bytes)
    }

    @Test func wireRoundTripAndLengths() throws {
        for bytes: [UInt8] in [[10, 0, 0, 1], Array(1...16)] {
            let address = try #require(ObservedAddress(addressBytes: bytes, port: 0xABCD))
            var out: [UInt8] = []
            address.encode(into: &out)
            #expect(out == bytes + [0xAB, 0xCD])
            #expect(ObservedAddress(wire: out[...]) == address)
        }
        #expect(ObservedAddress(addressBytes: [1, 2, 3], port: 1) == nil)
        #expect(ObservedAddress(addressBytes: [UInt8](repeating: 0, count: 5), port: 1) == nil)
        #expect(ObservedAddress(wire: [1, 2, 3, 4, 5][...]) == nil)
        #expect(ObservedAddress(wire: [UInt8](repeating: 0, count: 7)[...]) == nil)
    }
}
