import Testing
@testable import QUICWire

@Suite("Frame legality per packet type (RFC 9000 §12.4, Table 3)")
struct FrameLegalityTests {
    private static let everywhere: Set<PacketKind> = [.initial, .zeroRTT, .handshake, .oneRTT]
    private static let handshakeOnly: Set<PacketKind> = [.initial, .handshake, .oneRTT]
    private static let applicationData: Set<PacketKind> = [.zeroRTT, .oneRTT]
    private static let oneRTTOnly: Set<PacketKind> = [.oneRTT]

    /// Table 3, written out independently of the implementation, with the 0-RTT exclusions of
    /// RFC 9000 §12.5 and DATAGRAM from RFC 9221 §4.
    private static let expected: [UInt64: Set<PacketKind>] = {
        var table: [UInt64: Set<PacketKind>] = [
            0x00: everywhere, 0x01: everywhere,           // PADDING, PING
            0x02: handshakeOnly, 0x03: handshakeOnly,     // ACK
            0x04: applicationData, 0x05: applicationData, // RESET_STREAM, STOP_SENDING
            0x06: handshakeOnly,                          // CRYPTO
            0x07: oneRTTOnly,                             // NEW_TOKEN
            0x18: applicationData,                        // NEW_CONNECTION_ID
            0x19: oneRTTOnly,                             // RETIRE_CONNECTION_ID
            0x1a: applicationData,                        // PATH_CHALLENGE
            0x1b: oneRTTOnly,                             // PATH_RESPONSE
            0x1c: everywhere,                             // CONNECTION_CLOSE (transport)
            0x1d: applicationData,                        // CONNECTION_CLOSE (application)
            0x1e: oneRTTOnly,                             // HANDSHAKE_DONE
            0x30: applicationData, 0x31: applicationData, // DATAGRAM
        ]
        for type: UInt64 in 0x08...0x17 {                  // STREAM, MAX_*, *_BLOCKED
            table[type] = applicationData
        }
        // draft-seemann-quic-nat-traversal-02: ADD_ADDRESS, PUNCH_ME_NOW, REMOVE_ADDRESS; 1-RTT only by
        // our choice (docs/protocol.md).
        for type: UInt64 in 0x3d7e90...0x3d7e94 {
            table[type] = oneRTTOnly
        }
        // draft-ietf-quic-address-discovery §4: OBSERVED_ADDRESS in 0-RTT and 1-RTT.
        table[0x9f81a6] = applicationData
        table[0x9f81a7] = applicationData
        return table
    }()

    @Test func tableMatchesRFC9000Table3() {
        #expect(Frame.allowedPacketKinds == Self.expected)
        #expect(Set(Frame.allowedPacketKinds.keys) == Set(FrameType.all))
    }

    @Test func sampleFramesFollowTheTable() throws {
        for frame in FrameSamples.all {
            let allowed = try #require(Self.expected[frame.frameType])
            for kind in PacketKind.allCases {
                #expect(frame.isAllowed(in: kind) == allowed.contains(kind), "\(frame) in \(kind)")
            }
        }
    }

    @Test func unknownTypesAreAllowedNowhere() {
        for type: UInt64 in [0x1f, 0x20, 0x2f, 0x32, 0x40, 0x3d7e8f, 0x3d7e95, 0x9f81a5, 0x9f81a8, 1 << 40] {
            for kind in PacketKind.allCases {
                #expect(!Frame.isAllowed(frameType: type, in: kind))
            }
        }
    }

    @Test func applicationCloseIsNotAllowedDuringTheHandshake() {
        let close = Frame.connectionClose(ConnectionCloseFrame(isApplicationError: true, errorCode: 1))
        #expect(!close.isAllowed(in: .initial))
        #expect(!close.isAllowed(in: .handshake))
        #expect(close.isAllowed(in: .oneRTT))
        #expect(Frame.connectionClose(ConnectionCloseFrame(isApplicationError: false, errorCode: 1)).isAllowed(in: .initial))
    }
}
