// libFuzzer target: sequences of the NAT traversal frames of draft-seemann-quic-nat-traversal-02 §4.6 —
// ADD_ADDRESS, PUNCH_ME_NOW, REMOVE_ADDRESS — and OBSERVED_ADDRESS of draft-ietf-quic-address-discovery §4.
// Their types are 4-byte varints a fuzzer would rarely produce, so each frame of the input is one selector
// byte (its value modulo 7 picks the type) followed by the frame's body. Parsing must never trap; each frame
// must hold its field invariants, be legal exactly where our table allows it (docs/protocol.md), keep the
// draft's sending directions, survive encode → parse unchanged, and have every truncation of its encoding
// rejected; the whole sequence must survive encode → parse too.

import CLibFuzzer
import Glibc
import QUICWire

/// Hands the process to libFuzzer, which calls `LLVMFuzzerTestOneInput` per input.
@main
enum FuzzTraversalFramesMain {
    static func main() {
        exit(clibfuzzer_run_driver(CommandLine.argc, CommandLine.unsafeArgv, fuzzTraversalFrames))
    }
}

/// The seven frame types, indexed by a selector byte modulo 7.
private let traversalFrameTypes: [UInt64] = [
    FrameType.addAddressIPv4, FrameType.addAddressIPv6, FrameType.punchMeNowIPv4, FrameType.punchMeNowIPv6,
    FrameType.removeAddress, FrameType.observedAddressIPv4, FrameType.observedAddressIPv6,
]

/// libFuzzer calls this once per input; a trap (or a failed precondition below) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTraversalFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    var frames: [Frame] = []
    var offset = 0
    while offset < input.count {
        let type = traversalFrameTypes[Int(input[offset]) % traversalFrameTypes.count]
        var bytes: [UInt8] = []
        bytes.appendVarInt(type)
        let typeLength = bytes.count
        bytes += input[(offset + 1)...]
        var reader = ByteReader(bytes)
        guard let frame = try? Frame.parse(from: &reader) else { break }
        let consumed = reader.position
        precondition(consumed > typeLength, "a parsed frame consumed no body")   // every body has a varint
        checkInvariants(frame, type: type, consumed: consumed)
        checkLegality(frame)
        checkRoundTrip(frame, consumed: consumed)
        frames.append(frame)
        offset += 1 + consumed - typeLength
    }
    checkSequenceRoundTrip(frames)
    return 0
}

/// The drafts' field rules, checked independently of the parser: the address family follows the type's low
/// bit, and each frame is its 4-byte type, its varints (1…8 bytes each), the address and a 2-byte port.
private func checkInvariants(_ frame: Frame, type: UInt64, consumed: Int) {
    precondition(frame.frameType == type, "type 0x\(String(type, radix: 16)) parsed as \(frame)")
    switch frame {
    case .addAddress(let add):
        precondition(add.sequence <= VarInt.max, "varint out of range")
        precondition(add.address.isIPv6 == (type & 1 == 1), "address family does not follow the type")
        let fixed = 4 + add.address.wireLength
        precondition((fixed + 1...fixed + 8).contains(consumed), "ADD_ADDRESS consumed \(consumed) bytes")
    case .punchMeNow(let punch):
        precondition(punch.round <= VarInt.max && punch.pairedWith <= VarInt.max, "varint out of range")
        precondition(punch.address.isIPv6 == (type & 1 == 1), "address family does not follow the type")
        let fixed = 4 + punch.address.wireLength
        precondition((fixed + 2...fixed + 16).contains(consumed), "PUNCH_ME_NOW consumed \(consumed) bytes")
    case .removeAddress(let sequence):
        precondition(sequence <= VarInt.max, "varint out of range")
        precondition((5...12).contains(consumed), "REMOVE_ADDRESS consumed \(consumed) bytes")
    case .observedAddress(let observed):
        precondition(observed.sequence <= VarInt.max, "varint out of range")
        precondition(observed.address.isIPv6 == (type & 1 == 1), "address family does not follow the type")
        let fixed = 4 + observed.address.wireLength
        precondition((fixed + 1...fixed + 8).contains(consumed), "OBSERVED_ADDRESS consumed \(consumed) bytes")
    default:
        preconditionFailure("a traversal type parsed as \(frame)")
    }
}

/// NAT traversal frames only in 1-RTT (our choice, docs/protocol.md) and only in the draft's direction;
/// OBSERVED_ADDRESS in 0-RTT and 1-RTT, from either side, and a probing frame.
private func checkLegality(_ frame: Frame) {
    precondition(frame.isAllowed(in: .oneRTT), "\(frame) refused in 1-RTT")
    precondition(!frame.isAllowed(in: .initial) && !frame.isAllowed(in: .handshake), "\(frame) allowed in a long header")
    precondition(frame.isAckEliciting, "\(frame) is not ack-eliciting")
    switch frame {
    case .addAddress, .removeAddress:
        precondition(!frame.isAllowed(in: .zeroRTT) && !frame.isProbing, "\(frame) legality")
        precondition(frame.mayBeSent(by: .server) && !frame.mayBeSent(by: .client), "\(frame) direction")
    case .punchMeNow:
        precondition(!frame.isAllowed(in: .zeroRTT) && !frame.isProbing, "\(frame) legality")
        precondition(frame.mayBeSent(by: .client) && !frame.mayBeSent(by: .server), "\(frame) direction")
    default:
        precondition(frame.isAllowed(in: .zeroRTT) && frame.isProbing, "\(frame) legality")
        precondition(frame.mayBeSent(by: .client) && frame.mayBeSent(by: .server), "\(frame) direction")
    }
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
