// The aioquic peer (scripts/interop/aioquic_peer.py) against itself: the foreign peer and the harness must
// honour the client contract before they can judge our engine — in particular the server-side client
// certificate checks that aioquic 1.7.2 does not do by itself.

import Testing

// Skipped (and reported as skipped) when no python with aioquic is found, unless ZTNA_REQUIRE_INTEROP=1
// (scripts/test, CI): then each test runs and fails, naming what is missing.
@Suite(
    "aioquic peer self-check",
    .enabled(if: InteropEnvironment.current.canRunPeerTests,
             "needs a python with aioquic: ZTNA_PYTHON or .venv (see InteropEnvironment)")
)
struct AioquicPeerTests {
    @Test("stream and DATAGRAM echo verify, and the report carries every field")
    func echo() async throws {
        let outcome = try await InteropRun.run(
            .aioquicOnly, client: .init(datagrams: 20, datagramSize: 500, streamBytes: 100_000)
        )
        let report = try outcome.verifiedReport()
        #expect(report.alpn == InteropRun.alpn)
        #expect(report.isQUICCipherSuite)
        #expect(report.group?.isEmpty == false)
        #expect(report.streamBytesSent == 100_000 && report.streamBytesEchoed == 100_000)
        #expect(report.datagramsSent == 20 && report.datagramsEchoed == 20)
        #expect(report.error == nil)
        #expect(report.retried == false)
    }

    @Test("--ciphers chacha20 is reported as TLS_CHACHA20_POLY1305_SHA256 (0x1303)")
    func chaCha20() async throws {
        let report = try await InteropRun.run(.aioquicOnly, client: .init(ciphers: "chacha20")).verifiedReport()
        #expect(report.cipher == "TLS_CHACHA20_POLY1305_SHA256")
        #expect(report.isChaCha20)
    }

    @Test("a server requiring client certificates accepts the trusted one and refuses none or a rogue one")
    func clientCertificates() async throws {
        let mTLS = InteropRun.Server(requireClientCertificate: true)
        async let trusted = InteropRun.run(.aioquicOnly, server: mTLS, client: .init(identity: .trusted))
        async let missing = InteropRun.run(.aioquicOnly, server: mTLS, client: .init(identity: .none))
        async let rogue = InteropRun.run(.aioquicOnly, server: mTLS, client: .init(identity: .untrusted))
        _ = try await trusted.verifiedReport()
        let refusedWithout = try await missing
        refusedWithout.expectRefused()
        // RFC 9001 §4.8: CRYPTO_ERROR 0x100 + certificate_required (116).
        #expect(refusedWithout.report?.error?.contains("0x174") == true, "\(refusedWithout)")
        let refusedRogue = try await rogue
        refusedRogue.expectRefused()
        // bad_certificate (42): the chain does not lead to the test CA.
        #expect(refusedRogue.report?.error?.contains("0x12a") == true, "\(refusedRogue)")
    }

    @Test("a client that does not trust the server's CA refuses it")
    func untrustedServer() async throws {
        let outcome = try await InteropRun.run(.aioquicOnly, client: .init(trustsServer: false))
        outcome.expectRefused()
        #expect(outcome.report?.error?.contains("0x12a") == true, "\(outcome)")
    }

    @Test("Retry: the handshake succeeds after address validation")
    func retry() async throws {
        let report = try await InteropRun.run(.aioquicOnly, server: .init(retry: true)).verifiedReport()
        #expect(report.retried == true)
    }
}
