import Testing
@testable import QUICWire

@Suite("Transport error codes and wire errors")
struct QUICWireErrorTests {
    @Test func codesHaveTheirRFC9000Values() {
        let codes: [TransportErrorCode] = [
            .noError, .internalError, .connectionRefused, .flowControlError, .streamLimitError, .streamStateError,
            .finalSizeError, .frameEncodingError, .transportParameterError, .connectionIDLimitError,
            .protocolViolation, .invalidToken, .applicationError, .cryptoBufferExceeded, .keyUpdateError,
            .aeadLimitReached, .noViablePath,
        ]
        #expect(codes.map(\.rawValue) == Array(0x00...0x10))
        #expect(TransportErrorCode.frameEncodingError.description == "FRAME_ENCODING_ERROR")
        #expect(TransportErrorCode.noViablePath.description == "NO_VIABLE_PATH")
        #expect(TransportErrorCode(rawValue: 0x1234).description == "0x1234")
    }

    @Test func cryptoErrorsCarryTheTLSAlert() {
        // RFC 9001 §4.8: handshake_failure (40) is 0x128.
        let code = TransportErrorCode.crypto(alert: 40)
        #expect(code.rawValue == 0x128)
        #expect(code.tlsAlert == 40)
        #expect(TransportErrorCode.crypto(alert: 255).rawValue == 0x1ff)
        #expect(TransportErrorCode(rawValue: 0x200).tlsAlert == nil)
        #expect(TransportErrorCode.protocolViolation.tlsAlert == nil)
        #expect(code.description == "CRYPTO_ERROR(alert 40)")
    }

    @Test func errorDescriptionNamesCodeFrameAndReason() {
        #expect(QUICWireError(.frameEncodingError, frameType: 0x08, "bad").description
                == "FRAME_ENCODING_ERROR (frame 0x8): bad")
        #expect(QUICWireError(.transportParameterError, "dup").description == "TRANSPORT_PARAMETER_ERROR: dup")
    }
}
