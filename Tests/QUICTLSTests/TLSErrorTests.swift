import QUICTLS
import Testing

/// RFC 9001 §4.8: TLS alerts become CRYPTO_ERROR codes.
@Suite struct TLSErrorTests {
    @Test func alertsMapIntoTheCryptoErrorRange() {
        #expect(TLSError(alert: 0, message: "").quicErrorCode == 0x100)
        #expect(TLSError(alert: 120, message: "").quicErrorCode == 0x178)
        #expect(TLSError(alert: 255, message: "").quicErrorCode == 0x1FF)
    }

    @Test func withoutAnAlertTheCodeIsInternalError() {
        #expect(TLSError(message: "broken").quicErrorCode == 0x1)
    }

    @Test func descriptionNamesTheAlert() {
        let description = TLSError(alert: 116, message: "no certificate").description
        #expect(description.contains("116"))
        #expect(description.contains("no certificate"))
        #expect(TLSError(message: "plain").description.contains("plain"))
    }
}
