import NIOCore
import QUICCore
import QUICTLS
import Testing
import ZTNASimulation

@Suite("Handshake over QUICPair")
struct HandshakeTests {
    @Test func handshakeCompletesWithoutLoss() throws {
        var pair = try QUICPair(latency: .milliseconds(10))
        try pair.connect()
        let established = pair.drive(until: { $0.bothEstablished }, maxTime: .seconds(5))
        #expect(established)
        #expect(pair.clientEvents.contains(.connected))
        #expect(pair.serverEvents.contains(.connected))
        #expect(pair.clientConnection?.negotiatedALPN == "ztna-test")
        #expect(pair.clientConnection?.negotiatedGroup == "X25519MLKEM768")
        // One round trip for the handshake with 10 ms each way, plus the server's processing (none here).
        #expect(pair.now <= .uptimeNanoseconds(1_000_000_000) + .milliseconds(45))
    }
}
