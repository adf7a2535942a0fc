import NIOCore
@testable import QUICCore
import QUICTLS
import Testing
import ZTNASimulation

@Suite("Handshake admission: Retry under load, handshakes per address")
struct HandshakeAdmissionTests {
    private let client = PathAddress.udp(try! SocketAddress(ipAddress: "192.0.2.1", port: 50000))
    private let sameIPOtherPort = PathAddress.udp(try! SocketAddress(ipAddress: "192.0.2.1", port: 50001))
    private let otherClient = PathAddress.udp(try! SocketAddress(ipAddress: "192.0.2.7", port: 50000))
    private let start = NIODeadline.uptimeNanoseconds(10_000_000_000)

    @Test func autoPolicyRetriesOnceTheRateIsExceededWithinTheSecond() {
        var admission = HandshakeAdmission()
        let policy = QUICEndpointConfiguration.RetryPolicy.auto(handshakesPerSecond: 2)
        for index in 0..<2 {
            #expect(admission.decide(from: client, hasValidToken: false, policy: policy, maxPerAddress: 64, now: start) == .accept)
            admission.started(ConnectionHandle(UInt64(index)), from: otherClient, now: start)
        }
        #expect(admission.decide(from: client, hasValidToken: false, policy: policy, maxPerAddress: 64,
                                 now: start + .milliseconds(500)) == .retry)
        // A token proves the address: admitted whatever the load.
        #expect(admission.decide(from: client, hasValidToken: true, policy: policy, maxPerAddress: 64, now: start) == .accept)
        // The next second starts a new count.
        #expect(admission.decide(from: client, hasValidToken: false, policy: policy, maxPerAddress: 64,
                                 now: start + .seconds(1)) == .accept)
    }

    @Test func oneAddressWithTooManyUnfinishedHandshakesMustProveItself() {
        var admission = HandshakeAdmission()
        for index in 0..<3 {
            admission.started(ConnectionHandle(UInt64(index)), from: client, now: start)
        }
        // The port does not matter: a flood changes ports.
        #expect(admission.decide(from: sameIPOtherPort, hasValidToken: false, policy: .never, maxPerAddress: 3, now: start) == .drop)
        #expect(admission.decide(from: sameIPOtherPort, hasValidToken: false, policy: .auto(handshakesPerSecond: 1000),
                                 maxPerAddress: 3, now: start) == .retry)
        #expect(admission.decide(from: otherClient, hasValidToken: false, policy: .never, maxPerAddress: 3, now: start) == .accept)
        #expect(admission.decide(from: client, hasValidToken: true, policy: .never, maxPerAddress: 3, now: start) == .accept)
        // One finishes: room again.
        admission.finished(ConnectionHandle(1))
        #expect(admission.handshakesInProgress == 2)
        #expect(admission.decide(from: client, hasValidToken: false, policy: .never, maxPerAddress: 3, now: start) == .accept)
    }

    /// Wired into the endpoint: with a zero rate every new client is retried and still connects.
    @Test func endpointRetriesUnderAutoPolicy() throws {
        var pair = try QUICPair(configureServerEndpoint: { $0.retry = .auto(handshakesPerSecond: 0) })
        #expect(try pair.establish())
        // The post-quantum ClientHello spans two datagrams; each token-less one is answered with a Retry.
        #expect(pair.server.statistics.retriesSent >= 1)
        #expect(pair.server.statistics.retryTokensValidated == 1)
        #expect(pair.server.statistics.handshakesInProgress == 0)
    }

    /// With Retry disabled, an address over its handshake limit is dropped and counted.
    @Test func endpointDropsAnAddressOverItsLimitWithoutRetry() throws {
        var pair = try QUICPair(configureServerEndpoint: { $0.maxHandshakesPerAddress = 0 })
        try pair.connect()
        pair.advance(to: pair.now + .seconds(1))
        let established = pair.bothEstablished
        #expect(!established)
        #expect((pair.server.statistics.drops[.handshakesPerAddress] ?? 0) >= 1)
    }

    /// A server that stopped accepting (shutting down) starts no handshake: the client's Initials are dropped
    /// as `notAServer` and no connection state is created.
    @Test func endpointThatStoppedAcceptingStartsNoHandshake() throws {
        var pair = try QUICPair()
        pair.server.stopAccepting()
        try pair.connect()
        pair.advance(to: pair.now + .seconds(1))
        let established = pair.bothEstablished
        #expect(!established)
        #expect((pair.server.statistics.drops[.notAServer] ?? 0) >= 1)
        #expect(pair.server.connectionCount == 0)
    }
}

@Suite("Handshake failures are counted by reason")
struct HandshakeFailureCountTests {
    /// A server that requires a client certificate refuses a client without one: counted as TLS alert 116
    /// (certificate_required, RFC 8446 §6.2), and nothing is left in progress.
    @Test func missingClientCertificateIsCountedAsItsAlert() throws {
        var pair = try QUICPair(serverTLS: { $0.clientAuthentication = .required })
        try pair.connect()
        pair.advance(to: pair.now + .seconds(2))
        #expect(pair.server.statistics.handshakeFailures["tls_alert_116"] == 1)
        #expect(pair.server.statistics.handshakesInProgress == 0)
    }

    @Test func labelsAreStable() {
        #expect(QUICCloseReason.handshakeTimeout.label == "timeout")
        #expect(QUICCloseReason.peer(QUICCloseError(isApplicationError: false, code: 0x130, reason: "")).label == "tls_alert_48")
        #expect(QUICCloseReason.transportError(QUICCloseError(isApplicationError: false, code: 0xa, reason: "")).label
                == "transport_0xa")
        #expect(QUICCloseReason.local(QUICCloseError(isApplicationError: true, code: 0, reason: "")).label == "local")
    }
}
