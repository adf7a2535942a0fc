// libFuzzer target: sequences of the connection-ID and path frames — NEW_CONNECTION_ID (RFC 9000 §19.15),
// RETIRE_CONNECTION_ID (§19.16), PATH_CHALLENGE (§19.17) and PATH_RESPONSE (§19.18) — the frames a peer uses to
// rotate connection IDs and validate paths. Every frame's type byte is mapped onto one of the four (its low two
// bits pick it, so real encodings map to themselves), which keeps the fuzzer on their bodies. Parsing must never
// trap; each frame must hold its field invariants, be legal exactly where RFC 9000 §12.4/§12.5 allow it, survive
// encode → parse unchanged, and have every truncation of its encoding rejected; the whole sequence must
// survive encode → parse too.

import CLibFuzzer
import Glibc
import QUICWire

/// Hands the process to libFuzzer, which calls `LLVMFuzzerTestOneInput` per input.
@main
enum FuzzPathFramesMain {
    static func main() {
        exit(clibfuzzer_run_driver(CommandLine.argc, CommandLine.unsafeArgv, fuzzPathFrames))
    }
}

/// The four frame types, indexed by a type byte's low two bits (0x18 & 3 == 0, …, 0x1b & 3 == 3).
private let pathFrameTypes: [UInt8] = [0x18, 0x19, 0x1a, 0x1b]

/// libFuzzer calls this once per input; a trap (or a failed precondition below) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPathFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    var frames: [Frame] = []
    var offset = 0
    while offset < bytes.count {
        bytes[offset] = pathFrameTypes[Int(bytes[offset] & 3)]
        var reader = ByteReader(bytes, range: offset..<bytes.count)
        guard let frame = try? Frame.parse(from: &reader) else { break }
        let consumed = reader.position - offset
        precondition(consumed > 0, "a parsed frame consumed no bytes")
        checkInvariants(frame, consumed: consumed)
        checkLegality(frame)
        checkRoundTrip(frame, consumed: consumed)
        frames.append(frame)
        offset = reader.position
    }
    checkSequenceRoundTrip(frames)
    return 0
}

/// RFC 9000 §19.15–§19.18 field rules, checked independently of the parser.
private func checkInvariants(_ frame: Frame, consumed: Int) {
    switch frame {
    case .newConnectionID(let newID):
        precondition(newID.sequence <= VarInt.max && newID.retirePriorTo <= VarInt.max, "varint out of range")
        precondition(newID.retirePriorTo <= newID.sequence, "Retire Prior To above the sequence number")
        precondition((1...ConnectionID.maxLength).contains(newID.connectionID.count), "connection ID length")
        precondition(newID.statelessResetToken.bytes.count == StatelessResetToken.length, "token length")
        // Type, two varints (1…8 bytes each), the length byte, the ID and the token.
        let fixed = 1 + 1 + newID.connectionID.count + StatelessResetToken.length
        precondition((fixed + 2...fixed + 16).contains(consumed), "NEW_CONNECTION_ID consumed \(consumed) bytes")
    case .retireConnectionID(let sequence):
        precondition(sequence <= VarInt.max, "varint out of range")
        precondition((2...9).contains(consumed), "RETIRE_CONNECTION_ID consumed \(consumed) bytes")
    case .pathChallenge, .pathResponse:
        precondition(consumed == 9, "a path frame is its type and 8 bytes of data")
    default:
        preconditionFailure("type byte 0x18…0x1b parsed as \(frame)")
    }
}

/// RFC 9000 Table 3 and §12.5: all four only in 1-RTT, and in 0-RTT except RETIRE_CONNECTION_ID and
/// PATH_RESPONSE.
private func checkLegality(_ frame: Frame) {
    let inZeroRTT: Bool
    switch frame {
    case .retireConnectionID, .pathResponse: inZeroRTT = false
    default: inZeroRTT = true
    }
    precondition(frame.isAllowed(in: .oneRTT), "\(frame) refused in 1-RTT")
    precondition(frame.isAllowed(in: .zeroRTT) == inZeroRTT, "\(frame) 0-RTT legality")
    precondition(!frame.isAllowed(in: .initial) && !frame.isAllowed(in: .handshake), "\(frame) allowed in a long header")
}

/// encode(frame) parses back to the same frame, consuming exactly the (minimal) encoding, which is never longer
/// than what was parsed; every strict prefix of it is rejected.
private func checkRoundTrip(_ frame: Frame, consumed: Int) {
    var encoded: [UInt8] = []
    frame.encode(into: &encoded)
    precondition(encoded.count == frame.wireLength, "wireLength \(frame.wireLength) ≠ encoding \(encoded.count)")
    precondition(encoded.count <= consumed, "the encoding of \(frame) is longer than its parsed form")
    var reader = ByteReader(encoded)
    guard let reparsed = try? Frame.parse(from: &reader) else {
        preconditionFailure("the encoding of a parsed frame does not parse: \(frame)")
    }
    precondition(reparsed == frame, "encode → parse changed the frame: \(frame) became \(reparsed)")
    precondition(reader.isAtEnd, "the encoding of \(frame) has trailing bytes")
    for length in 0..<encoded.count {
        var truncated = ByteReader(encoded, range: 0..<length)
        precondition((try? Frame.parse(from: &truncated)) == nil, "a \(length)-byte prefix of \(frame) parsed")
    }
}

/// The frames encoded back to back parse back into the same sequence.
private func checkSequenceRoundTrip(_ frames: [Frame]) {
    var encoded: [UInt8] = []
    for frame in frames { frame.encode(into: &encoded) }
    var reader = ByteReader(encoded)
    for frame in frames {
        guard let reparsed = try? Frame.parse(from: &reader), reparsed == frame else {
            preconditionFailure("the sequence did not round-trip at \(frame)")
        }
    }
    precondition(reader.isAtEnd, "the encoded sequence has trailing bytes")
}
