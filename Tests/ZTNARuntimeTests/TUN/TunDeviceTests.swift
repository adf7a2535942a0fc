#if os(Linux)
import Glibc
import Testing
#if canImport(ZTNARuntimeTUN)
@testable import ZTNARuntimeTUN
#else
@testable import ZTNARuntime
#endif

@Suite struct TunDeviceTests {
    @Test func invalidNamesAreRejectedBeforeAnySystemCall() {
        #expect(throws: TunError.self) { try TunDevice.open(name: "") }
        #expect(throws: TunError.self) { try TunDevice.open(name: "a-name-longer-than-15") }
    }

    @Test func ipRouteFailureCarriesTheCommandAndOutput() {
        do {
            try IPRoute.run(["link", "show", "dev", "ztna-no-such-device"])
            Issue.record("expected a failure")
        } catch {
            #expect(error.status != 0)
            #expect(error.arguments.last == "ztna-no-such-device")
            #expect(!error.output.isEmpty)
        }
    }

    @Test(.enabled(if: runningAsRoot, "needs root: creates a TUN device"))
    func openRouteAndClose() throws {
        var random = SystemRandomNumberGenerator()
        let namespace = "ztna-tun-\(String(random.next() & 0xFF_FFFF, radix: 16))"
        try IPRoute.addNamespace(namespace)
        defer { try? IPRoute.deleteNamespace(namespace) }
        let tun = try TunDevice.open(name: "zttest%d")
        defer { tun.close() }
        #expect(tun.name.hasPrefix("zttest"))
        #expect(tun.fileDescriptor >= 0)
        try IPRoute.moveToNamespace(device: tun.name, namespace: namespace)
        // Nonblocking reads: a device that is down has nothing to deliver (once up, the kernel may send
        // IPv6 router solicitations at any moment, so this is checked first).
        #expect(try tun.readPacket() == nil)
        #expect(try tun.waitReadable(timeoutMilliseconds: 0) == false)
        try IPRoute.setUp(device: tun.name, namespace: namespace)
        try IPRoute.addAddress("10.202.0.1/32", device: tun.name, namespace: namespace)
        try IPRoute.addRoute("10.202.0.9/32", device: tun.name, namespace: namespace)
        #expect(try IPRoute.run(["route", "show", "10.202.0.9"], namespace: namespace).contains(tun.name))
        try IPRoute.removeRoute("10.202.0.9/32", device: tun.name, namespace: namespace)
        #expect(try IPRoute.run(["route", "show", "10.202.0.9"], namespace: namespace).isEmpty)
        tun.close()
        tun.close()  // idempotent
        #expect(tun.fileDescriptor == -1)
    }
}
#endif
